/**
 * The Secrets the stack reads, by name and key: never their values. The operator creates them by hand
 * or, per environment, the External Secrets Operator fills them from a secret store.
 */
import type { Environment, SecretKeyRef } from './types';

/** An environment variable whose value is a key of a Secret. */
export interface SecretEnv {
  readonly env: string;
  readonly secret: SecretKeyRef;
}

const fromSecret = (secret: string) => (env: string): SecretEnv => ({ env, secret: { name: secret, key: env } });

/**
 * Read by ov-frontend: the Elasticsearch key, and the cookie-consent id where the site shows the banner
 * (ov-frontend v1.2.0 app/root.tsx, app/components/Cookies.tsx; ov-deploy chart 0.7.0 keeps it out of git).
 */
export function frontendSecretEnv(env: Environment): SecretEnv[] {
  return ['ES_API_KEY', ...(env.site.cookieConsent ? ['COOKIE_CONSENT_ID'] : [])].map(fromSecret('ov-frontend'));
}

/**
 * Read by ov-wag and its jobs, besides the database password and the Django secret key. The login's client ids
 * are kept with the secrets, as the deployers keep them (ov-deploy charts/openvault/values.yaml: dataFrom.extract).
 */
const BACKEND_KEYS = ['ES_PASSWORD', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'GOOGLE_CLIENT_ID', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/**
 * Where a secret store fills the Secrets, Django's secret key is made once in the cluster by the External
 * Secrets Operator's Password generator, in a Secret of its own that is never refreshed: a key made per render,
 * as the deployers' chart does (`randBytes`), would end every session at each sync. Elsewhere the operators
 * put it in `ov-wag`.
 */
export const GENERATED_SECRET_KEY: SecretKeyRef = { name: 'ov-wag-secret-key', key: 'password' };

function secretKey(env: Environment): SecretEnv {
  return { env: 'OV_SECRET_KEY', secret: env.externalSecrets ? GENERATED_SECRET_KEY : { name: 'ov-wag', key: 'OV_SECRET_KEY' } };
}

/** The database password: `ov-db`/`password`, or wherever an external database keeps it. */
export function databasePassword(env: Environment): SecretKeyRef {
  const own = { name: 'ov-db', key: 'password' };
  return env.database.mode === 'external' ? (env.database.password ?? own) : own;
}

export function backendSecretEnv(env: Environment): SecretEnv[] {
  return [secretKey(env), ...BACKEND_KEYS.map(fromSecret('ov-wag')), { env: 'OV_DB_PASSWORD', secret: databasePassword(env) }];
}

/** Read by the postgres StatefulSet, which sets its superuser password from it on first start. */
export function databaseSecretEnv(env: Environment): SecretEnv[] {
  return [{ env: 'POSTGRES_PASSWORD', secret: databasePassword(env) }];
}

/** One Secret the environment needs, with its keys (sorted). */
export interface RequiredSecret {
  readonly name: string;
  readonly keys: readonly string[];
}

/** Every Secret the environment's workloads read, sorted by name. */
export function requiredSecrets(env: Environment): RequiredSecret[] {
  const all = [...frontendSecretEnv(env), ...backendSecretEnv(env), ...(env.database.mode === 'statefulset' ? databaseSecretEnv(env) : [])];
  const keys = new Map<string, Set<string>>();
  for (const { secret } of all) keys.set(secret.name, (keys.get(secret.name) ?? new Set()).add(secret.key));
  return [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, k]) => ({ name, keys: [...k].sort() }));
}

/** The Secrets a secret store must fill: every required one but the generated key. */
export function storedSecrets(env: Environment): RequiredSecret[] {
  return requiredSecrets(env).filter((s) => s.name !== GENERATED_SECRET_KEY.name);
}
