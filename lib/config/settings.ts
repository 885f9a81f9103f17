/**
 * The settings each image reads from its environment, derived from the environment in this one place,
 * so the hosts, URLs and names they carry always agree with the objects that use them.
 */
import { BACKEND, DATABASE, FRONTEND, serviceUrl } from './images';
import { Environment, publicHosts, siteUrl } from './types';

/** What the frontend reads from its environment; the backend URL is the in-cluster Service. */
export function frontendSettings(env: Environment): Record<string, string> {
  const s = env.site;
  return {
    NODE_ENV: 'production',
    PORT: String(FRONTEND.port),
    OV_API_URL: serviceUrl(BACKEND.name),
    AAPB_HOST: s.aapbHost,
    ORGAN_URL: s.organUrl,
    ES_URL: s.esUrl,
    ES_OV_INDEX: s.esIndex,
    GBH_INDEX: s.gbhIndex,
    ES_GBH_INDEX: s.gbhIndex,
    ...(s.cookieConsentId ? { COOKIE_CONSENT_ID: s.cookieConsentId } : {}),
    // No update check: it writes under $HOME and calls the registry, which the NetworkPolicy blocks.
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  };
}

/** The in-cluster names the backend answers to: Django rejects any other Host header. */
function serviceHosts(env: Environment): string[] {
  const fqdn = `${BACKEND.name}.${env.namespace}.svc`;
  return [BACKEND.name, fqdn, `${fqdn}.cluster.local`];
}

/** The backend's settings, derived from the environment's hosts so they always agree with the Ingress. */
export function backendSettings(env: Environment): Record<string, string> {
  const db = env.database;
  const s = env.site;
  const secure = String(env.ingress.tls.mode !== 'off');
  return {
    DJANGO_SETTINGS_MODULE: 'ov_wag.settings.production',
    OV_DB_ENGINE: 'django.db.backends.postgresql',
    OV_DB_HOST: db.mode === 'external' ? db.host : DATABASE.name,
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
    OV_API_URL: `${serviceUrl(BACKEND.name)}/api/v2`,
    OV_PREVIEW_URL: `${siteUrl(env, env.host)}/preview`,
    OV_WORKERS: String(s.workers),
    // Only the ingress controller reaches the pods (NetworkPolicy), so its X-Forwarded-* headers are trusted.
    OV_FORWARDED_ALLOW_IPS: '*',
    OV_ACCESS_LOGFILE: '-',
    OV_ERROR_LOGFILE: '-',
    ES_URL: s.esUrl,
    ES_INDEX: s.esIndex,
    ES_USER: s.esUser,
    ES_VERIFY_CERTS: 'true',
    AUTH0_URL: s.auth0Url,
    AUTH0_CLIENT_ID: s.auth0ClientId,
    GOOGLE_CLIENT_ID: s.googleClientId,
    AWS_STORAGE_BUCKET_NAME: s.s3Bucket,
    AWS_S3_REGION_NAME: s.s3Region,
    // The root file system is read-only: no .pyc files next to the code.
    PYTHONDONTWRITEBYTECODE: '1',
    // The pod's user has no home in the image; libraries that keep files under $HOME get /tmp.
    HOME: '/tmp',
  };
}
