/** ov-frontend: the Remix web site, the only tier the public reaches at `/`. */
import { Construct } from 'constructs';
import { WebTierConfig } from '../config/types';
import { FRONTEND } from '../config/images';
import { k8s } from './k8s';
import { https, IpBlock, Reach } from './network';
import { TMP } from './pod';
import { FRONTEND_SECRET_ENV } from '../config/secrets';
import { WebTier } from './web-tier';

export interface FrontendProps {
  readonly namespace: string;
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
      namespace: props.namespace,
      image: FRONTEND,
      component: 'frontend',
      config: props.config,
      settings: props.settings,
      secretEnv: FRONTEND_SECRET_ENV,
      writable: [
        TMP,
        { name: 'npm', path: '/home/remix/.npm', reason: '`npm run start` writes its cache and logs under $HOME/.npm' },
      ],
      reaches: [props.backend, https(props.internet)],
      admitted: props.admitted,
    });
  }
}
