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
import { at, describe, isObject, list, obj, str } from './json';
import { groupOf } from './pods';

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
}

/**
 * kubernetes-models' schemas do not set `additionalProperties: false`, so a misspelled field passes validation
 * silently. The compiled validator reads every property its schema declares (and enumerates map-typed fields
 * such as labels), so running it over recording proxies reveals the keys the schema knows: a key the validator
 * never read is not in the schema. One proxy per node, cached by node, so repeated reads share one record.
 */
class ReadRecorder {
  readonly nodes = new Map<object, RecordedNode>();

  /** The proxy for `value`, or `value` itself if it is not an object. */
  wrap(value: unknown, path: string): unknown {
    if (typeof value !== 'object' || value === null) return value;
    return (this.nodes.get(value) ?? this.record(value, path)).proxy;
  }

  private record(value: object, path: string): RecordedNode {
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
        return (this.nodes.get(v) ?? this.record(v, child(key))).proxy; // the path is only built for new nodes
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
    const node = { value, path, read, proxy };
    this.nodes.set(value, node);
    return node;
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

/** Runs the model's validator once over a recording proxy: schema errors and unknown fields from one pass. */
function analyse(o: KubeObject): SchemaResult {
  const model = MODELS.get(`${String(o.apiVersion)}/${String(o.kind)}`);
  if (!model) return BUILT_IN_GROUPS.has(groupOf(String(o.apiVersion))) ? { schema: [unknownKindIssue(o)], unknown: [] } : NO_RESULT;
  const recorder = new ReadRecorder();
  try {
    model.prototype.validate.call(recorder.wrap(o, ''));
    return { schema: [], unknown: unknownFieldIssues(recorder) };
  } catch (thrown) {
    return { schema: schemaIssues(o, schemaErrors(thrown)), unknown: unknownFieldIssues(recorder) };
  }
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
