/** The recommended Kubernetes labels, and the selector subset of them that must never change. */
import { k8s } from './k8s';

export const PART_OF = 'open-vault';
export const MANAGED_BY = 'cdk8s';

/** What an object belongs to: the app (`ov-wag`), the environment (`ov`), and its role in the stack. */
export interface Identity {
  readonly name: string;
  readonly namespace: string;
  readonly component: string;
}

/**
 * The labels that select a workload's pods. Only name and instance: a Deployment's selector is
 * immutable once applied, so nothing that may change (version, component) belongs in it.
 */
export function selectorLabels(name: string, namespace: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': namespace };
}

export function labels(id: Identity): Record<string, string> {
  // One literal rather than a spread of selectorLabels(): it is built for every object of every synth.
  return {
    'app.kubernetes.io/name': id.name,
    'app.kubernetes.io/instance': id.namespace,
    'app.kubernetes.io/component': id.component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** Metadata of a namespaced object named `name` (default: the identity's name), in the identity's namespace. */
export function meta(id: Identity, name: string = id.name, annotations?: Record<string, string>): k8s.ObjectMeta {
  return { name, namespace: id.namespace, labels: labels(id), ...(annotations ? { annotations } : {}) };
}
