/**
 * Rule [schema]: built-in objects checked against the Kubernetes OpenAPI schema (kubernetes-models' validators).
 * It finds a wrong type before anything is written, naming the field; the API server is the judge of the rest
 * (unknown fields, custom resources against their CRDs, CEL rules), held to it by test/cluster-*.test.ts.
 */
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
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { KubeObject } from '../../objects/kube-object';
import type { Issue, Rule } from './context';
import { describe, isObject, list, obj, resolvePointer, str } from '../../objects/json';
import { groupOf } from '../../objects/pods';

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(): void };
}

const MODEL_CLASSES: readonly ModelClass[] = [
  ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
  Deployment, StatefulSet, CronJob, Job, Ingress, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler,
  ClusterRole, ClusterRoleBinding, Role, RoleBinding,
];

/** `apiVersion/kind` → model, built once at load. */
const MODELS: ReadonlyMap<string, ModelClass> = new Map(MODEL_CLASSES.map((m) => [`${m.apiVersion}/${m.kind}`, m]));

/** API groups served by Kubernetes itself; anything else is a custom resource, typed by its generated construct. */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps',
  'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io',
  'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'extensions', 'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io', 'networking.k8s.io', 'node.k8s.io', 'policy', 'rbac.authorization.k8s.io',
  'resource.k8s.io', 'scheduling.k8s.io', 'storage.k8s.io', 'storagemigration.k8s.io',
]);

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message: string;
}

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

function analyse(o: KubeObject): Issue[] {
  const model = MODELS.get(`${String(o.apiVersion)}/${String(o.kind)}`);
  if (!model) return BUILT_IN_GROUPS.has(groupOf(String(o.apiVersion))) ? [unknownKindIssue(o)] : [];
  try {
    model.prototype.validate.call(o);
    return [];
  } catch (thrown) {
    return schemaIssues(o, schemaErrors(thrown));
  }
}

/** Protects against objects the API server would reject: wrong types, missing required fields, unknown kinds. */
export const schemaRule: Rule = { id: 'schema', check: (o) => analyse(o) };
