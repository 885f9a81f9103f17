/**
 * Checking environments: one at a time against the schema and the facts of the images it pins, and the
 * registry as a whole, where no two environments may share a namespace, a host, a search index or a bucket.
 * Every message names the environment, the field, the value and what is allowed.
 */
import type { z } from 'zod';
import { Environment, EnvironmentInput, environmentSchema } from './schema';
import { storedSecrets } from './secrets';
import { unhonoured } from './settings';
import { frontendRelease, Tier, undeclaredTag } from './images';
import { normalizedUrl } from './rules';

const TIERS: readonly Tier[] = ['frontend', 'backend'];

export * from './schema';

/** A bad environment or command line: the message names the value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `frontend.resources.limits.cpu`, `network.egressCidrs[0].except[1]`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** `"5000"`, or `(unset)`. */
function shown(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function issueMessages(label: string, input: unknown, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const allowed = issue.code === 'unrecognized_keys' ? 'is not a field of the registry' : issue.message;
    return `${label}: ${fieldPath(path) || '(environment)'} ${shown(valueAt(input, path))}: ${allowed}`;
  });
}

/** The problems of a parsed environment that involve more than one field, or the facts of a pinned image. */
function semanticProblems(env: Environment): string[] {
  const problems: string[] = [];
  const bad = (field: string, value: unknown, allowed: string) => problems.push(`${env.namespace}: ${field} ${shown(value)}: ${allowed}`);
  if (env.ingress.adminHost === env.host) bad('ingress.adminHost', env.ingress.adminHost, 'must differ from host');
  // The facts of a tag must be declared before anything is derived from them.
  const undeclared = TIERS.flatMap((tier) => {
    const problem = undeclaredTag(tier, env[tier].tag);
    return problem ? [`${env.namespace}: ${tier}.tag ${shown(env[tier].tag)} ${problem}`] : [];
  });
  if (undeclared.length > 0) return undeclared;
  // The banner's id comes from the frontend's Secret: only a release that reads it can show the banner.
  if (env.site.cookieConsent && !frontendRelease(env.frontend.tag).reads.includes('COOKIE_CONSENT_ID')) {
    bad('frontend.tag', env.frontend.tag, 'cannot honour site.cookieConsent: that release reads no COOKIE_CONSENT_ID (see lib/config/images.ts); pin a release that reads it');
  }
  for (const u of unhonoured(env)) {
    const instead = u.builtIn === undefined ? 'has no such setting' : `has "${u.builtIn}" built in`;
    bad(`${u.tier}.tag`, u.tag, `cannot honour ${u.variable}=${shown(u.wanted)}: that release reads no ${u.variable} and ${instead} (see lib/config/images.ts); pin a release that reads it`);
  }
  const store = env.externalSecrets;
  if (store) {
    const needed = storedSecrets(env);
    const names = needed.map((s) => s.name);
    for (const { name, keys } of needed) {
      const entry = store.secrets[name];
      if (!entry) {
        problems.push(`${env.namespace}: externalSecrets.secrets has no entry for Secret "${name}": it needs one for each of ${names.join(', ')}`);
        continue;
      }
      const declared = Object.keys(entry.properties);
      for (const key of keys.filter((k) => !declared.includes(k))) bad(`externalSecrets.secrets.${name}.properties.${key}`, undefined, `Secret "${name}" needs a property for each of ${keys.join(', ')}`);
      for (const key of declared.filter((k) => !keys.includes(k))) bad(`externalSecrets.secrets.${name}.properties.${key}`, entry.properties[key], `no workload reads key "${key}" of Secret "${name}": it holds ${keys.join(', ')}`);
    }
    for (const name of Object.keys(store.secrets).filter((n) => !names.includes(n))) {
      bad(`externalSecrets.secrets.${name}`, store.secrets[name].remoteKey, `no workload reads a Secret "${name}": the store fills ${names.join(', ')}`);
    }
  }
  return problems;
}

/** Environments this module checked: frozen, so they cannot have changed since. */
const checked = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The environment checked and with its defaults, or every problem found. */
export function checkEnvironment(input: unknown): { readonly env?: Environment; readonly problems: readonly string[] } {
  // A checked environment is handed around (registry, chart): it is not checked twice.
  if (typeof input === 'object' && input !== null && checked.has(input)) return { env: input as Environment, problems: [] };
  const parsed = environmentSchema.safeParse(input);
  const ns = valueAt(input, ['namespace']);
  const label = typeof ns === 'string' && ns !== '' ? ns : '(no namespace)';
  if (!parsed.success) return { problems: issueMessages(label, input, parsed.error) };
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) return { problems };
  checked.add(deepFreeze(parsed.data));
  return { env: parsed.data, problems };
}

export function environmentProblems(input: unknown): readonly string[] {
  return checkEnvironment(input).problems;
}

/** The environment checked and with its defaults; a ConfigError lists every problem. */
export function parseEnvironment(input: EnvironmentInput): Environment {
  const { env, problems } = checkEnvironment(input);
  if (!env) throw new ConfigError(problems.join('\n'));
  return env;
}

/** Where an environment's objects go: its namespace, and the instance they carry as label and name suffix. */
export interface Placement {
  readonly namespace: string;
  /** `app.kubernetes.io/instance`; a name of its own in a shared namespace (a preview). */
  readonly instance: string;
}

export function placementOf(env: Environment): Placement {
  return { namespace: env.namespace, instance: env.instance ?? env.namespace };
}

/** Whether the environment is an instance in another's namespace (a preview), which owns neither the Namespace nor its default deny. */
export function sharesNamespace(env: Environment): boolean {
  return placementOf(env).instance !== env.namespace;
}

/** An object's name: `base`, or `base-<instance>` for an instance that shares its namespace. */
export function suffixed(p: Placement, base: string): string {
  return p.instance === p.namespace ? base : `${base}-${p.instance}`;
}

/** The hosts the site answers on: the public host, and the admin host when there is one. */
export function publicHosts(env: Environment): string[] {
  return env.ingress.adminHost ? [env.host, env.ingress.adminHost] : [env.host];
}

/** `https://host`, or `http://host` when TLS is off. */
export function siteUrl(env: Environment, host: string): string {
  return `${env.ingress.tls.mode === 'off' ? 'http' : 'https'}://${host}`;
}

/**
 * What no two environments may share: a namespace (one would replace the other's file), a host, an
 * Elasticsearch index on one endpoint (one's `update_index` would rebuild the other's), the bucket its
 * static files are collected into (one's `collectstatic` would overwrite the other's files).
 */
function sharedResources(env: Environment): ReadonlyArray<readonly [string, string]> {
  return [
    // A preview shares the demo's namespace under an instance of its own.
    sharesNamespace(env) ? ['instance', `${placementOf(env).instance} in ${env.namespace}`] : ['namespace', env.namespace],
    ...publicHosts(env).map((h) => ['host', h] as const),
    // One Elasticsearch however its URL is written (case, default port, trailing slash).
    ['search index', `${env.site.esIndex} on ${normalizedUrl(env.site.esUrl)}`],
    ...(env.backend.collectStatic ? [['S3 bucket', env.site.s3Bucket] as const] : []),
  ];
}

/** Every pair of environments that share something, each named with the shared value. */
export function registryProblems(envs: readonly Environment[]): string[] {
  const owner = new Map<string, string>();
  const problems: string[] = [];
  envs.forEach((env, i) => {
    const label = `${placementOf(env).instance} (entry ${i + 1})`;
    for (const [what, value] of sharedResources(env)) {
      const key = `${what}\0${value}`;
      const first = owner.get(key);
      if (first === undefined) owner.set(key, label);
      else problems.push(`${label}: shares the ${what} "${value}" with ${first}: each environment needs its own`);
    }
  });
  // An environment that does not collect static files serves those another collects into its bucket.
  const collected = new Set(envs.filter((e) => e.backend.collectStatic).map((e) => e.site.s3Bucket));
  envs.forEach((env, i) => {
    if (!env.backend.collectStatic && !collected.has(env.site.s3Bucket)) {
      problems.push(`${placementOf(env).instance} (entry ${i + 1}): backend.collectStatic false on the S3 bucket "${env.site.s3Bucket}": no environment collects static files into it; share the bucket of one that does`);
    }
  });
  return problems;
}
