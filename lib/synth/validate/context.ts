/** What rules see: one object at a time, plus indexes over the whole output built once per run. */
import { objectId, type KubeObject } from '../../objects/kube-object';
import { isObject } from '../../objects/json';
import { groupOf, nameOf, namespaceOf, podTemplates, type PodTemplate } from '../../objects/pods';

/** One problem a rule found in the object it was given. */
export interface Issue {
  readonly field: string;
  readonly message: string;
}

export interface Rule {
  readonly id: string;
  readonly check: (o: KubeObject, index: number, ctx: Context) => Iterable<Issue>;
}

export interface Context {
  readonly objects: readonly KubeObject[];
  /** The pod templates of each object (see podTemplates), found once for every rule. */
  readonly templatesOf: ReadonlyMap<KubeObject, readonly PodTemplate[]>;
  /** Pod templates of all workloads, by namespace. */
  readonly templates: ReadonlyMap<string, readonly PodTemplate[]>;
  /** Services by `namespace/name`. */
  readonly services: ReadonlyMap<string, KubeObject>;
  /** ConfigMaps as `namespace/name`. */
  readonly configMaps: ReadonlySet<string>;
  /** Index of the first object with each group/kind/namespace/name identity. */
  readonly firstIndex: ReadonlyMap<string, number>;
}

/** `objectId`, tolerating objects that lack metadata (they are reported, not crashed on). */
export function idOf(o: KubeObject): string {
  return isObject(o.metadata) ? objectId(o) : `${String(o.kind)}/(no metadata)`;
}

export function nsKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** group/kind/namespace/name: what makes two objects the same object to the API server. */
export function identity(o: KubeObject): string {
  return `${groupOf(String(o.apiVersion))}/${o.kind}/${namespaceOf(o)}/${nameOf(o)}`;
}

/** The pod templates of `o`, as found when the context was built. */
export function templatesOf(o: KubeObject, ctx: Context): readonly PodTemplate[] {
  return ctx.templatesOf.get(o) ?? podTemplates(o);
}

function isCoreKind(o: KubeObject, kind: string): boolean {
  return o.apiVersion === 'v1' && o.kind === kind;
}

export function buildContext(objects: readonly KubeObject[]): Context {
  const templatesOf = new Map<KubeObject, readonly PodTemplate[]>();
  const templates = new Map<string, PodTemplate[]>();
  const services = new Map<string, KubeObject>();
  const configMaps = new Set<string>();
  const firstIndex = new Map<string, number>();
  objects.forEach((o, i) => {
    const ns = namespaceOf(o);
    const found = podTemplates(o);
    templatesOf.set(o, found);
    if (found.length) templates.set(ns, [...(templates.get(ns) ?? []), ...found]);
    if (isCoreKind(o, 'Service')) services.set(nsKey(ns, nameOf(o)), o);
    if (isCoreKind(o, 'ConfigMap')) configMaps.add(nsKey(ns, nameOf(o)));
    const id = identity(o);
    if (!firstIndex.has(id)) firstIndex.set(id, i);
  });
  return { objects, templatesOf, templates, services, configMaps, firstIndex };
}
