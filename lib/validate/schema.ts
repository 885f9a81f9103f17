/** Rules [schema] and [unknown-field]: built-in objects checked against the Kubernetes OpenAPI schema. */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { KubeObject } from '../objects';
import type { Context, Issue, Rule } from './context';
import { at, describe, isObject, list, obj, str } from '../inspect/json';
import { groupOf } from '../inspect/pods';

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(): void };
}

const MODEL_CLASSES: readonly ModelClass[] = [
  ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
  Deployment, StatefulSet, CronJob, Job, Ingress, NetworkPolicy, PodDisruptionBudget,
  ClusterRole, ClusterRoleBinding, Role, RoleBinding,
];

/** `apiVersion/kind` → model, built once at load. */
const MODELS: ReadonlyMap<string, ModelClass> = new Map(MODEL_CLASSES.map((m) => [`${m.apiVersion}/${m.kind}`, m]));

/** API groups served by Kubernetes itself; anything else is a custom resource, typed by its generated construct. */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps',
  'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io',
  'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'extensions', 'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io', 'networking.k8s.io', 'node.k8s.io', 'policy', 'rbac.authorization.k8s.io',
  'resource.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'storagemigration.k8s.io',
]);

interface RecordedNode {
  readonly value: object;
  readonly path: string;
  readonly read: Set<string>;
  readonly proxy: object;
  /** The node whose read first reached this one, and the key or index it was read under; none for the root. */
  readonly parent: RecordedNode | undefined;
  readonly under: string;
}

/**
 * kubernetes-models' schemas do not set `additionalProperties: false`, so a misspelled field passes validation
 * silently. The compiled validator reads every property its schema declares (and enumerates map-typed fields
 * such as labels), so running it over recording proxies reveals the keys the schema knows: a key the validator
 * never read is not in the schema. One proxy per node, cached by node, so repeated reads share one record.
 */
class ReadRecorder {
  readonly nodes = new Map<object, RecordedNode>();
  /** Whether some node was reached under two different parents or keys: its reads then mix several paths. */
  shared = false;

  /** The proxy for `value`, or `value` itself if it is not an object. */
  wrap(value: unknown, path: string): unknown {
    if (typeof value !== 'object' || value === null) return value;
    return (this.nodes.get(value) ?? this.record(value, path, undefined, '')).proxy;
  }

  private record(value: object, path: string, parent: RecordedNode | undefined, under: string): RecordedNode {
    const isArray = Array.isArray(value);
    const read = new Set<string>();
    // A frozen node cannot hand out proxies for its properties (proxy invariants), so proxy a copy of it.
    const target: object = !Object.isFrozen(value) ? value : isArray ? [...value] : { ...value };
    const child = (key: string): string => (isArray ? at(path, Number(key)) : at(path, key));
    const proxy = new Proxy(target, {
      get: (t, key) => {
        const v: unknown = Reflect.get(t, key);
        if (typeof key !== 'string') return v;
        if (!isArray) read.add(key);
        if (typeof v !== 'object' || v === null) return v;
        const known = this.nodes.get(v);
        if (known === undefined) return this.record(v, child(key), node, key).proxy; // the path is only built for new nodes
        if (known.parent !== node || known.under !== key) this.shared = true;
        return known.proxy;
      },
      has: (t, key) => {
        if (typeof key === 'string') read.add(key);
        return Reflect.has(t, key);
      },
      ownKeys: (t) => {
        const keys = Reflect.ownKeys(t);
        for (const k of keys) if (typeof k === 'string') read.add(k);
        return keys;
      },
    });
    const node: RecordedNode = { value, path, read, proxy, parent, under };
    this.nodes.set(value, node);
    return node;
  }
}

/**
 * What the validator of one kind is known to read at one normalized path (array indexes as `[]`): a trie over
 * the path, one per kind. `keys` holds every key read at this path, each with the entry of the path below it;
 * `items` is the entry of `path[]`.
 *
 * This is sound because of how kubernetes-models' validators are compiled (ajv, allErrors, see e.g.
 * _schemas/IoK8sApiCoreV1Container.js and @kubernetes-models/apimachinery's …MetaV1ObjectMeta.js): once a node
 * is a non-array object, every property its `properties` schema declares is read unconditionally, present or
 * not (`void 0===data.imagePullPolicy||validate45(data.imagePullPolicy,…)`), and a map-typed field (labels,
 * ConfigMap data, resource limits) is enumerated with `for (let key0 in data) validate(data[key0],…)`, so each
 * of its keys is read. There are no error-dependent guards (errors are accumulated, never checked before a
 * read), no anyOf/allOf/if/dependencies, and the only oneOf (IntOrString, Quantity) chooses between scalars.
 * So a key read at a path of a kind is read at that path in every object of that kind where it is present:
 * declared keys always, map keys whenever they are there.
 */
class PathMemo {
  readonly keys = new Map<string, PathMemo>();
  items: PathMemo | undefined;

  below(key: string): PathMemo {
    const known = this.keys.get(key);
    if (known !== undefined) return known;
    const created = new PathMemo();
    this.keys.set(key, created);
    return created;
  }
}

/** `apiVersion/kind` → what its validator is known to read; filled by the recording passes, never emptied. */
const MEMO = new Map<string, PathMemo>();

/** Deeper than any Kubernetes object; a node this deep (or a cycle) goes to the recording pass, which copes. */
const MAX_DEPTH = 64;

/**
 * Whether every key of every non-array node below `value` is known to be read at its path. If so, the recording
 * pass would find no unknown field: each node is reached (its key is read on its parent) and each of its keys
 * is read there.
 */
function allKnown(value: object, memo: PathMemo, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      if (memo.items === undefined || !allKnown(item, memo.items, depth + 1)) return false;
    }
    return true;
  }
  // for-in, not Object.keys: this walk runs over every object of every synth, and allocates nothing.
  const fields = value as Readonly<Record<string, unknown>>;
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    const below = memo.keys.get(key);
    if (below === undefined) return false;
    if (typeof v === 'object' && v !== null && !allKnown(v, below, depth + 1)) return false;
  }
  return true;
}

/** Adds what a recording pass read to the memo of its kind. Nodes are recorded parents first. */
function remember(recorder: ReadRecorder, root: PathMemo): void {
  // A node reached under two paths has one read set for both: it cannot be told which path read what.
  if (recorder.shared) return;
  const memoOf = new Map<RecordedNode, PathMemo>();
  for (const node of recorder.nodes.values()) {
    const parent = node.parent === undefined ? undefined : memoOf.get(node.parent);
    const memo = node.parent === undefined ? root
      : parent === undefined ? undefined
        : Array.isArray(node.parent.value) ? (parent.items ??= new PathMemo()) : parent.below(node.under);
    if (memo === undefined) continue;
    memoOf.set(node, memo);
    if (!Array.isArray(node.value)) for (const key of node.read) memo.below(key);
  }
}

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message: string;
}

interface SchemaResult {
  readonly schema: readonly Issue[];
  readonly unknown: readonly Issue[];
}

const NO_RESULT: SchemaResult = { schema: [], unknown: [] };

/** The ajv errors carried by what a model's validate threw. */
function schemaErrors(thrown: unknown): SchemaError[] {
  const raw = obj(thrown).errors;
  if (!Array.isArray(raw)) {
    return [{ instancePath: '', keyword: '', params: {}, message: thrown instanceof Error ? thrown.message : String(thrown) }];
  }
  return raw.filter(isObject).map((e) => ({
    instancePath: str(e.instancePath) ?? '',
    keyword: str(e.keyword) ?? '',
    params: obj(e.params),
    message: str(e.message) ?? `fails "${String(e.keyword)}"`,
  }));
}

/** Resolves a JSON pointer against the object: the field path in message notation and the value found there. */
function resolvePointer(root: unknown, pointer: string): { field: string; value: unknown } {
  let field = '';
  let value = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      field = at(field, Number(key));
      value = list(value)[Number(key)];
    } else {
      field = at(field, key);
      value = obj(value)[key];
    }
  }
  return { field, value };
}

function errorText(e: SchemaError): string {
  if (e.keyword === 'required') return 'required field is missing';
  if (e.keyword === 'enum') return `${e.message}: ${list(e.params.allowedValues).map((v) => describe(v)).join(', ')}`;
  return e.message;
}

const COMPOSITE = new Set(['oneOf', 'anyOf']);

/** One issue per field; the alternatives of a oneOf/anyOf (e.g. int-or-string) are joined into one message. */
function schemaIssues(o: KubeObject, errors: readonly SchemaError[]): Issue[] {
  const byField = new Map<string, { value: unknown; texts: string[]; composite?: string }>();
  for (const e of errors) {
    const missing = e.keyword === 'required' ? str(e.params.missingProperty) : undefined;
    const { field, value } = resolvePointer(o, missing === undefined ? e.instancePath : `${e.instancePath}/${missing}`);
    const group = byField.get(field) ?? { value, texts: [] };
    byField.set(field, group);
    if (COMPOSITE.has(e.keyword)) group.composite = e.message;
    else if (!group.texts.includes(errorText(e))) group.texts.push(errorText(e));
  }
  return [...byField].flatMap(([field, g]) => {
    const found = g.value === undefined ? '' : ` (found ${describe(g.value)})`;
    const texts = g.composite === undefined ? g.texts : [g.texts.join(' or ') || g.composite];
    return texts.map((text) => ({ field: field || '(object)', message: `${text}${found}` }));
  });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function unknownFieldMessage(key: string, node: RecordedNode): string {
  const near = [...node.read].filter((k) => !Object.prototype.hasOwnProperty.call(node.value, k)
    && (editDistance(k.toLowerCase(), key.toLowerCase()) <= 2));
  return near.length ? `unknown field "${key}" (did you mean "${near[0]}"?)` : `unknown field "${key}", not in the schema`;
}

function unknownFieldIssues(recorder: ReadRecorder): Issue[] {
  const issues: Issue[] = [];
  for (const node of recorder.nodes.values()) {
    if (Array.isArray(node.value)) continue;
    for (const [key, v] of Object.entries(node.value)) {
      if (v !== undefined && !node.read.has(key)) issues.push({ field: at(node.path, key), message: unknownFieldMessage(key, node) });
    }
  }
  return issues;
}

function unknownKindIssue(o: KubeObject): Issue {
  const group = groupOf(String(o.apiVersion));
  const sameKind = MODEL_CLASSES.find((m) => m.kind === o.kind && groupOf(m.apiVersion) === group);
  if (sameKind) return { field: 'apiVersion', message: `${o.kind} is not served as ${o.apiVersion}; use ${sameKind.apiVersion}` };
  const known = MODEL_CLASSES.filter((m) => groupOf(m.apiVersion) === group).map((m) => m.kind);
  return {
    field: 'kind',
    message: `"${String(o.kind)}" is not a known ${String(o.apiVersion)} kind (known: ${known.join(', ') || 'none'}); fix the kind or add its model to the validator`,
  };
}

/** Runs the model's validator over a recording proxy of `o`: the unknown fields, exactly. */
function recordedUnknownFields(model: ModelClass, o: KubeObject): { recorder: ReadRecorder; unknown: Issue[] } {
  const recorder = new ReadRecorder();
  try {
    model.prototype.validate.call(recorder.wrap(o, ''));
  } catch {
    // The schema errors come from the run over `o` itself; this run only records reads.
  }
  return { recorder, unknown: unknownFieldIssues(recorder) };
}

/**
 * Runs the model's validator over `o` for the schema errors. Unknown fields are only ever reported by the
 * recording pass; it is skipped when `o` is valid and every key of it is already known to be read at its path
 * (see PathMemo), in which case that pass would report nothing. A recording pass over a valid object adds what
 * it read to the memo.
 */
function analyse(o: KubeObject): SchemaResult {
  const kindKey = `${String(o.apiVersion)}/${String(o.kind)}`;
  const model = MODELS.get(kindKey);
  if (!model) return BUILT_IN_GROUPS.has(groupOf(String(o.apiVersion))) ? { schema: [unknownKindIssue(o)], unknown: [] } : NO_RESULT;
  let schema: Issue[] = [];
  let valid = true;
  try {
    model.prototype.validate.call(o);
  } catch (thrown) {
    valid = false;
    schema = schemaIssues(o, schemaErrors(thrown));
  }
  let memo = MEMO.get(kindKey);
  if (valid && memo !== undefined && allKnown(o, memo, 0)) return { schema, unknown: [] };
  const { recorder, unknown } = recordedUnknownFields(model, o);
  if (valid) {
    if (memo === undefined) MEMO.set(kindKey, (memo = new PathMemo()));
    remember(recorder, memo);
  }
  return { schema, unknown };
}

const results = new WeakMap<Context, Map<KubeObject, SchemaResult>>();

function analysed(o: KubeObject, ctx: Context): SchemaResult {
  const memo = results.get(ctx) ?? new Map<KubeObject, SchemaResult>();
  results.set(ctx, memo);
  const result = memo.get(o) ?? analyse(o);
  memo.set(o, result);
  return result;
}

/** Protects against objects the API server would reject: wrong types, missing required fields, unknown kinds. */
export const schemaRule: Rule = { id: 'schema', check: (o, _i, ctx) => analysed(o, ctx).schema };

/** Protects against misspelled fields, which the API server drops instead of applying (e.g. a limit never set). */
export const unknownFieldRule: Rule = { id: 'unknown-field', check: (o, _i, ctx) => analysed(o, ctx).unknown };
