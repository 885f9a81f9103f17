/**
 * The settings each image reads from its environment, derived from the environment in this one place,
 * so the hosts, URLs and names they carry always agree with the objects that use them.
 */
import { BACKEND, backendRelease, DATABASE, FRONTEND, frontendRelease, pageIndex, serviceUrl } from './images';
import { Environment } from './schema';
import { placementOf, publicHosts, siteUrl, suffixed } from './types';

/** The in-cluster name of one of the environment's Services. */
const service = (env: Environment, name: string) => suffixed(placementOf(env), name);

/** A setting the environment wants that its pinned release cannot take: it reads no such variable. */
export interface Unhonoured {
  readonly tier: 'frontend' | 'backend';
  readonly tag: string;
  readonly variable: string;
  readonly wanted: string;
  /** What the release does instead, when it has the value built in. */
  readonly builtIn?: string;
}

interface TierSettings {
  /** The variables the release reads, with their values: the tier's ConfigMap. */
  readonly settings: Record<string, string>;
  readonly unhonoured: readonly Unhonoured[];
}

/**
 * Keeps only the variables the pinned release reads (see images.ts): a setting nothing reads is noise at
 * best. A wanted value that the release neither reads nor has built in is reported, never dropped silently.
 */
function forRelease(tier: Unhonoured['tier'], tag: string, release: { reads: readonly string[]; fixed?: Readonly<Record<string, string>> }, wanted: Record<string, string | undefined>): TierSettings {
  const settings: Record<string, string> = {};
  const unhonoured: Unhonoured[] = [];
  for (const [variable, value] of Object.entries(wanted)) {
    if (value === undefined) continue;
    if (release.reads.includes(variable)) settings[variable] = value;
    else if (release.fixed?.[variable] !== value) unhonoured.push({ tier, tag, variable, wanted: value, builtIn: release.fixed?.[variable] });
  }
  return { settings, unhonoured };
}

/** What the frontend reads from its environment; the backend URL is the in-cluster Service. */
export function frontend(env: Environment): TierSettings {
  const s = env.site;
  return forRelease('frontend', env.frontend.tag, frontendRelease(env.frontend.tag), {
    PORT: String(FRONTEND.port),
    OV_API_URL: serviceUrl(service(env, BACKEND.name)),
    AAPB_HOST: s.aapbHost,
    ORGAN_URL: s.organUrl,
    ES_URL: s.esUrl,
    // The pages the backend indexes, in the index the backend writes (ES_INDEX below).
    ES_OV_INDEX: pageIndex(s.esIndex),
    GBH_INDEX: s.gbhIndex,
    // No update check: it writes under $HOME and calls the registry, which the NetworkPolicy blocks.
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  });
}

/** The in-cluster names the backend answers to: Django rejects any other Host header. */
function serviceHosts(env: Environment): string[] {
  const name = service(env, BACKEND.name);
  const fqdn = `${name}.${env.namespace}.svc`;
  return [name, fqdn, `${fqdn}.cluster.local`];
}

/** The backend's settings, derived from the environment's hosts so they always agree with the Ingress. */
export function backend(env: Environment): TierSettings {
  const db = env.database;
  const s = env.site;
  const secure = String(env.ingress.tls.mode !== 'off');
  return forRelease('backend', env.backend.tag, backendRelease(env.backend.tag), {
    DJANGO_SETTINGS_MODULE: 'ov_wag.settings.production',
    OV_DB_ENGINE: 'django.db.backends.postgresql',
    OV_DB_HOST: db.mode === 'external' ? db.host : service(env, DATABASE.name),
    OV_DB_PORT: String(db.mode === 'external' ? db.port : DATABASE.port),
    OV_DB_NAME: db.name,
    OV_DB_USER: db.user,
    OV_DEBUG: 'false',
    OV_ALLOWED_HOSTS: [...publicHosts(env), ...serviceHosts(env)].join(','),
    OV_TRUSTED_ORIGINS: publicHosts(env).map((h) => siteUrl(env, h)).join(','),
    OV_CSRF_COOKIE_SECURE: secure,
    OV_SESSION_COOKIE_SECURE: secure,
    OV_BASE_URL: siteUrl(env, env.host),
    OV_ADMIN_BASE_URL: siteUrl(env, env.ingress.adminHost ?? env.host),
    OV_API_URL: `${serviceUrl(service(env, BACKEND.name))}/api/v2`,
    OV_PREVIEW_URL: `${siteUrl(env, env.host)}/preview`,
    ES_URL: s.esUrl,
    ES_INDEX: s.esIndex,
    ES_USER: s.esUser,
    ES_VERIFY_CERTS: 'true',
    AUTH0_URL: s.auth0Url,
    AWS_STORAGE_BUCKET_NAME: s.s3Bucket,
    AWS_S3_REGION_NAME: s.s3Region,
    // The root file system is read-only: no .pyc files next to the code.
    PYTHONDONTWRITEBYTECODE: '1',
    // The pod's user has no home in the image; libraries that keep files under $HOME get /tmp.
    HOME: '/tmp',
  });
}

export const frontendSettings = (env: Environment) => frontend(env).settings;
export const backendSettings = (env: Environment) => backend(env).settings;

/** Every setting the environment wants that a pinned release cannot honour. */
export const unhonoured = (env: Environment): Unhonoured[] => [...frontend(env).unhonoured, ...backend(env).unhonoured];
