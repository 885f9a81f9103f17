/** The recommended Kubernetes labels, object names, and the selector subset of the labels that must never change. */
import { Placement, suffixed } from '../config/types';
import { k8s } from './k8s';

export const PART_OF = 'open-vault';
export const MANAGED_BY = 'cdk8s';

/** What an object belongs to: the app (`ov-wag`), where it is placed, and its role in the stack. */
export interface Identity {
  readonly name: string;
  readonly placement: Placement;
  readonly component: string;
}

/**
 * The labels that select a workload's pods. Only name and instance: a Deployment's selector is
 * immutable once applied, so nothing that may change (version, component) belongs in it.
 */
export function selectorLabels(name: string, placement: Placement): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': placement.instance };
}

export function labels(id: Identity): Record<string, string> {
  return {
    ...selectorLabels(id.name, id.placement),
    'app.kubernetes.io/component': id.component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** Metadata of a namespaced object named after `base` (default: the identity's name), with the placement's suffix. */
export function meta(id: Identity, base: string = id.name, annotations?: Record<string, string>): k8s.ObjectMeta {
  return {
    name: suffixed(id.placement, base),
    namespace: id.placement.namespace,
    labels: labels(id),
    ...(annotations ? { annotations } : {}),
  };
}
