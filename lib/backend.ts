/** ov-wag: the Wagtail CMS and the API the frontend reads. */
import { Construct } from 'constructs';
import { Environment, publicHosts, siteUrl } from './config';
import { TMP } from './pod';
import { backendSecretEnv } from './secrets';
import { BACKEND, DATABASE, serviceUrl } from './stack';
import { WebTier } from './web-tier';

/** The loop that holds a new backend pod until the migrations of its image have run (see README, Operating). */
export const WAIT_FOR_MIGRATIONS =
  'until python manage.py migrate --check; do echo "waiting for the migrations of this release"; sleep 5; done';

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

export class Backend extends WebTier {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, {
      env,
      image: BACKEND,
      component: 'backend',
      config: env.backend,
      // Django answers only to OV_ALLOWED_HOSTS; the kubelet would send the pod IP.
      probeHost: BACKEND.name,
      settings: backendSettings(env),
      secretEnv: backendSecretEnv(env),
      writable: [
        TMP,
        { name: 'static', path: '/app/static', reason: '`collectstatic` at start writes to STATIC_ROOT when static files are stored locally' },
      ],
      initContainers: (container) => [{ ...container, name: 'wait-for-migrations', command: ['sh', '-c', WAIT_FOR_MIGRATIONS] }],
    });
  }
}
