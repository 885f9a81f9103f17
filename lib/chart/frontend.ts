/** ov-frontend: the Remix web site, the only tier the public reaches at `/`. */
import { Construct } from 'constructs';
import { Placement, WebTierConfig } from '../config/types';
import { FRONTEND, frontendRelease } from '../config/images';
import { k8s } from './k8s';
import { https, IpBlock, Reach } from './network';
import { TMP } from './pod';
import { FRONTEND_SECRET_ENV } from '../config/secrets';
import { WebTier } from './web-tier';

export interface FrontendProps {
  readonly placement: Placement;
  readonly config: WebTierConfig;
  /** What the image reads from its environment (see config/settings.ts). */
  readonly settings: Readonly<Record<string, string>>;
  /** The API the pages are built from. */
  readonly backend: Reach;
  /** Where it may connect on 443 (Elasticsearch). */
  readonly internet: readonly IpBlock[];
  /** Who outside the environment sends it the public's requests (the ingress controller). */
  readonly admitted: readonly k8s.NetworkPolicyPeer[];
}

export class Frontend extends WebTier {
  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id, {
      placement: props.placement,
      image: FRONTEND,
      component: 'frontend',
      config: props.config,
      settings: props.settings,
      secretEnv: FRONTEND_SECRET_ENV,
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
