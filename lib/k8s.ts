/**
 * The Kubernetes API this project builds with, the 1.28 API that cdk8s-plus-28 ships, and `Manifest`,
 * the construct every object of the chart is. Every construct imports them from here, so moving to a
 * newer cdk8s-plus is a change to this file.
 * (The low-level module alone, not cdk8s-plus' index: it loads faster and sets no defaults.)
 */
import { ApiObject, GroupVersionKind, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';

export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';

/**
 * A generated object class: `k8s.KubeDeployment` and its kin, or a custom resource class in imports/.
 * Its static `manifest` turns typed props into the object's JSON (field names, int-or-string values).
 */
export interface ObjectType {
  readonly GVK: GroupVersionKind;
  // Each class takes its own props type; PropsOf recovers it.
  manifest(props?: any): unknown;
}

/** The props of a generated object class: `k8s.KubeDeploymentProps` for `k8s.KubeDeployment`. */
export type PropsOf<T extends ObjectType> = NonNullable<Parameters<T['manifest']>[0]>;

/**
 * One Kubernetes object of a chart, from the typed props of a generated class and rendered by that class.
 *
 * It renders what an instance of the class itself renders (keys sorted, empty values dropped, JSON
 * patches applied before the class maps the fields), but without cdk8s' token resolution, which visits
 * every value of every object through the construct tree and took about a fifth of the render time. So
 * its props must be plain data, with no cdk8s `Lazy` or other token in them: the stack uses none, and
 * test/stack/chart.ts compares every object, in each branch of the chart, with the class's own output.
 * Labels and annotations added through `metadata`, and JSON patches, apply as they do to any ApiObject.
 */
export class Manifest<T extends ObjectType> extends ApiObject {
  /** The class that renders the object. */
  readonly objectType: T;
  /** The typed props the object was defined with. */
  readonly objectProps: PropsOf<T>;
  readonly #patches: JsonPatch[] = [];

  constructor(scope: Construct, id: string, type: T, props: PropsOf<T>) {
    // The base class keeps the kind and the metadata (name, namespace, labels added later); the rest is here.
    super(scope, id, { ...type.GVK, metadata: props.metadata });
    this.objectType = type;
    this.objectProps = props;
  }

  override addJsonPatch(...ops: JsonPatch[]): void {
    this.#patches.push(...ops);
  }

  override toJson(): any {
    const data = plain({ ...this.objectType.GVK, ...this.objectProps, metadata: this.metadata.toJson() });
    return this.objectType.manifest(this.#patches.length > 0 ? JsonPatch.apply(data, ...this.#patches) : data);
  }
}

/**
 * A copy with the keys of every plain object sorted and null or undefined entries dropped, as cdk8s
 * sanitizes an object before rendering it. Class instances (`k8s.IntOrString`, `k8s.Quantity`) are kept
 * for the generated class to read.
 */
function plain(value: unknown): unknown {
  if (value === null) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const source = value as Readonly<Record<string, unknown>>;
  const keys = Object.keys(source);
  if (!isSorted(keys)) keys.sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const v = plain(source[key]);
    if (v !== undefined) copy[key] = v;
  }
  return copy;
}

/** Many objects have their keys in order already, and need no sort. */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}
