/** Reads synthesized objects for validation and the topology page: where workloads keep their pod templates, and how label selectors pick them. */
import type { KubeObject } from './kube-object';
import { at, isObject, items, list, obj, str, stringMap, type JsonObject } from './json';

/** A pod template and where it sits: `path` is its field path in `owner` (`''` for a Pod itself). */
export interface PodTemplate {
  readonly owner: KubeObject;
  readonly path: string;
  readonly template: JsonObject;
  /** Its string-valued labels, what selectors are matched against. */
  readonly labels: Readonly<Record<string, string>>;
}

/** `group/kind` → field names leading from the object to its pod template. */
const TEMPLATE_LOCATIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['apps/Deployment', ['spec', 'template']],
  ['apps/StatefulSet', ['spec', 'template']],
  ['apps/DaemonSet', ['spec', 'template']],
  ['apps/ReplicaSet', ['spec', 'template']],
  ['batch/Job', ['spec', 'template']],
  ['batch/CronJob', ['spec', 'jobTemplate', 'spec', 'template']],
  ['/Pod', []],
]);

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function namespaceOf(o: KubeObject): string {
  return str(obj(o.metadata).namespace) ?? '';
}

export function nameOf(o: KubeObject): string {
  return str(obj(o.metadata).name) ?? '';
}

/** The pod templates of an object: one for workloads, the object itself for a Pod, none otherwise. */
export function podTemplates(o: KubeObject): PodTemplate[] {
  const location = TEMPLATE_LOCATIONS.get(`${groupOf(String(o.apiVersion))}/${o.kind}`);
  if (!location) return [];
  let node: unknown = o;
  let path = '';
  for (const key of location) {
    node = obj(node)[key];
    path = at(path, key);
  }
  return isObject(node) ? [{ owner: o, path, template: node, labels: stringMap(obj(node.metadata).labels) }] : [];
}

export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export const ALL_CONTAINER_LISTS: readonly ContainerList[] = ['containers', 'initContainers', 'ephemeralContainers'];

export interface ContainerRef {
  readonly container: JsonObject;
  readonly path: string;
  readonly list: ContainerList;
}

/** Every container of a template, computed once per template: several rules read them. */
const containerCache = new WeakMap<PodTemplate, readonly ContainerRef[]>();

function allContainers(t: PodTemplate): readonly ContainerRef[] {
  let found = containerCache.get(t);
  if (found === undefined) {
    const specPath = at(t.path, 'spec');
    const spec = obj(t.template.spec);
    found = ALL_CONTAINER_LISTS.flatMap((name) => items(spec[name], at(specPath, name)).map(({ item, path }) => ({ container: item, path, list: name })));
    containerCache.set(t, found);
  }
  return found;
}

/** The containers of a pod template from the given lists, each with its field path. */
export function containersOf(t: PodTemplate, lists: readonly ContainerList[] = ALL_CONTAINER_LISTS): readonly ContainerRef[] {
  const all = allContainers(t);
  return lists === ALL_CONTAINER_LISTS ? all : lists.flatMap((name) => all.filter((c) => c.list === name));
}

/** True when a LabelSelector (`matchLabels`/`matchExpressions`) selects everything. */
export function isEmptySelector(selector: unknown): boolean {
  const s = obj(selector);
  return Object.keys(obj(s.matchLabels)).length === 0 && list(s.matchExpressions).length === 0;
}

function expressionMatches(expression: unknown, labels: Readonly<Record<string, string>>): boolean {
  const e = obj(expression);
  const key = str(e.key) ?? '';
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  const values = list(e.values);
  switch (e.operator) {
    case 'In': return has && values.includes(labels[key]);
    case 'NotIn': return !has || !values.includes(labels[key]);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    default: return false;
  }
}

/** Whether a LabelSelector selects a label set; a Service-style plain map can be passed as `{ matchLabels }`. */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const s = obj(selector);
  const pairs = obj(s.matchLabels);
  for (const key in pairs) if (labels[key] !== pairs[key]) return false;
  return list(s.matchExpressions).every((e) => expressionMatches(e, labels));
}

/** A `matchExpressions` entry in kubectl's notation: `tier in (web, api)`, `tier notin (db)`, `canary`, `!canary`. */
export function describeExpression(expression: unknown): string {
  const e = obj(expression);
  const key = String(e.key);
  const values = `(${list(e.values).map(String).join(', ')})`;
  switch (e.operator) {
    case 'In': return `${key} in ${values}`;
    case 'NotIn': return `${key} notin ${values}`;
    case 'Exists': return key;
    case 'DoesNotExist': return `!${key}`;
    default: return `${key} ${String(e.operator)} ${values}`;
  }
}

/** A selector in messages, in kubectl's notation: `"app=web, tier notin (db), !canary"`. */
export function describeSelector(selector: unknown): string {
  const s = obj(selector);
  const pairs = Object.entries(obj(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  return JSON.stringify([...pairs, ...list(s.matchExpressions).map(describeExpression)].join(', '));
}

/** The pod templates in `templates` that a selector picks. */
export function selectedTemplates(selector: unknown, templates: readonly PodTemplate[]): PodTemplate[] {
  return templates.filter((t) => selectorMatches(selector, t.labels));
}
