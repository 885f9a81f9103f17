/** A synthesized Kubernetes object as plain JSON, the shape that validation, topology and output work on. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** `Kind/namespace/name` (or `Kind/name` for cluster-scoped objects): how messages name an object. */
export function objectId(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/**
 * Marks a NetworkPolicy that applies to pods this project does not create (an operator-managed
 * database in the same namespace), so validation does not expect to find them in the output.
 */
export const EXTERNAL_PODS_ANNOTATION = 'openvault.wgbh.org/external-pods';
