/** Rules on object identity: [namespace] and [duplicate]. */
import type { KubeObject } from '../../objects/kube-object';
import { identity, idOf, type Rule } from './context';
import { describe, obj } from '../../objects/json';

/** Kinds that exist outside namespaces; every other kind (custom resources included) is namespaced. */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass',
  'IngressClass', 'RuntimeClass', 'CSIDriver', 'CustomResourceDefinition', 'APIService',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ClusterIssuer', 'ClusterSecretStore',
  'ClusterExternalSecret',
]);

/** Protects against objects landing in whatever namespace kubectl's context happens to point at. */
export const namespaceRule: Rule = {
  id: 'namespace',
  check: (o) => {
    const namespace = obj(o.metadata).namespace;
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(o.kind);
    if (clusterScoped && namespace !== undefined) {
      return [{ field: 'metadata.namespace', message: `is ${describe(namespace)}; cluster-scoped ${o.kind} must not set a namespace` }];
    }
    if (!clusterScoped && (typeof namespace !== 'string' || namespace === '')) {
      return [{ field: 'metadata.namespace', message: `is ${describe(namespace)}; namespaced ${o.kind} must set its namespace` }];
    }
    return [];
  },
};

function firstOf(objects: readonly KubeObject[], index: number): string {
  return `object #${index + 1} (${idOf(objects[index])})`;
}

/** Protects against two constructs emitting the same object, where the later one silently overwrites the first. */
export const duplicateRule: Rule = {
  id: 'duplicate',
  check: (o, index, ctx) => {
    const first = ctx.firstIndex.get(identity(o));
    if (first === undefined || first === index) return [];
    return [{ field: 'metadata.name', message: `same group, kind, namespace and name as ${firstOf(ctx.objects, first)}` }];
  },
};
