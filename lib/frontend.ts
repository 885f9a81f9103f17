/** ov-frontend: the Remix web site, the only tier the public reaches at `/`. */
import { Construct } from 'constructs';
import { Environment } from './config';
import { TMP } from './pod';
import { FRONTEND_SECRET_ENV } from './secrets';
import { BACKEND, FRONTEND, serviceUrl } from './stack';
import { WebTier } from './web-tier';

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

export class Frontend extends WebTier {
  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, {
      env,
      image: FRONTEND,
      component: 'frontend',
      config: env.frontend,
      settings: frontendSettings(env),
      secretEnv: FRONTEND_SECRET_ENV,
      writable: [
        TMP,
        { name: 'npm', path: '/home/remix/.npm', reason: '`npm run start` writes its cache and logs under $HOME/.npm' },
      ],
    });
  }
}
