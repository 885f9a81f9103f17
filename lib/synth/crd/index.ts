/**
 * Custom resources checked against the vendored CRDs in `crds/`, as the API server checks them: against the
 * `openAPIV3Schema` of the served version, with the structural-schema rules (unknown fields are errors, as with
 * `kubectl apply`'s default strict field validation; `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`).
 * CEL rules (`x-kubernetes-validations`) are not checked, and `metadata` is only required to be an object (the API
 * server validates ObjectMeta separately).
 *
 * Cheap to load (node built-ins and two small ajv runtime helpers): nothing is parsed or compiled until a kind is
 * looked up, and then only the CRD file that can define it and only the version validated. Compiled validators are
 * cached as ajv standalone code in `node_modules/.cache/open-vault/crd-validators/`, keyed by the sha256 of the CRD
 * file, the ajv version and the schema rewriting (structural.ts; editing it invalidates the cache); a warm run loads
 * neither js-yaml nor ajv's compiler, and reads no CRD file (load.ts).
 *
 * The parts: load.ts (the CRD files), structural.ts (a schema rewritten for ajv), compile.ts (validators),
 * cache.ts (the cache folder), issues.ts (messages), schemas.ts (one folder of CRDs).
 */
import { CrdSchemas, type CrdOptions, type CustomResource } from './schemas';
import type { CrdIssue } from './issues';

export { CrdSchemas };
export type { CrdIssue, CrdOptions, CustomResource };

const instances = new Map<string, CrdSchemas>();

function schemasFor(options: CrdOptions | undefined): CrdSchemas {
  const key = `${options?.dir ?? ''}\0${options?.cacheDir === null ? '\0null' : (options?.cacheDir ?? '')}`;
  let s = instances.get(key);
  if (s === undefined) instances.set(key, (s = new CrdSchemas(options)));
  return s;
}

/**
 * The issues of a custom resource against the vendored CRD of its group and kind (`crds/` of the project root, or
 * `options.dir`): [] if the API server would accept it; undefined when no vendored CRD defines this apiVersion/kind.
 * A version the CRD does not serve is one issue on `apiVersion`.
 */
export function customResourceIssues(o: CustomResource, options?: CrdOptions): CrdIssue[] | undefined {
  return schemasFor(options).issues(o);
}

/** Whether a vendored CRD defines the group of `apiVersion` and `kind` (served or not in that version). */
export function isCustomResourceKnown(apiVersion: string, kind: string, options?: CrdOptions): boolean {
  return schemasFor(options).isKnown(apiVersion, kind);
}
