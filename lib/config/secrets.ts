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

/** Read by ov-frontend. */
export const FRONTEND_SECRET_ENV: readonly SecretEnv[] = ['ES_API_KEY'].map(fromSecret('ov-frontend'));

/** Read by ov-wag and its jobs, besides the database password. */
const BACKEND_KEYS = ['OV_SECRET_KEY', 'ES_PASSWORD', 'AUTH0_CLIENT_SECRET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** The database password: `ov-db`/`password`, or wherever an external database keeps it. */
export function databasePassword(env: Environment): SecretKeyRef {
  const own = { name: 'ov-db', key: 'password' };
  return env.database.mode === 'external' ? (env.database.password ?? own) : own;
}

export function backendSecretEnv(env: Environment): SecretEnv[] {
  return [...BACKEND_KEYS.map(fromSecret('ov-wag')), { env: 'OV_DB_PASSWORD', secret: databasePassword(env) }];
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
  const all = [...FRONTEND_SECRET_ENV, ...backendSecretEnv(env), ...(env.database.mode === 'statefulset' ? databaseSecretEnv(env) : [])];
  const keys = new Map<string, Set<string>>();
  for (const { secret } of all) keys.set(secret.name, (keys.get(secret.name) ?? new Set()).add(secret.key));
  return [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, k]) => ({ name, keys: [...k].sort() }));
}
