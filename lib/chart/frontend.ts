/** ov-frontend: the Remix web site, the only tier the public reaches at `/`. */
import { Construct } from 'constructs';
import { WebTierConfig } from '../config/types';
import { FRONTEND, frontendRelease } from '../config/images';
import { https, Reach } from './network';
import { TMP } from './pod';
import { SecretEnv } from '../config/secrets';
import { WebTier, WebTierInputs } from './web-tier';

export interface FrontendProps extends WebTierInputs {
  readonly config: WebTierConfig;
  /** The API the pages are built from. */
  readonly backend: Reach;
  readonly secretEnv: readonly SecretEnv[];
}

export class Frontend extends WebTier {
  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id, {
      placement: props.placement,
      image: FRONTEND,
      component: 'frontend',
      config: props.config,
      settings: props.settings,
      secretEnv: props.secretEnv,
      writable: [
        TMP,
        ...(frontendRelease(props.config.tag).startsWithNpm
          ? [{ name: 'npm', path: `${FRONTEND.home}/.npm`, reason: '`npm run start` writes its logs under $HOME/.npm (it runs without, logging that it cannot)' }]
          : []),
      ],
      reaches: [props.backend, https(props.internet)],
      admitted: props.admitted,
    });
  }
}
