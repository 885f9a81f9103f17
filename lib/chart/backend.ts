/** ov-wag: the Wagtail CMS and the API the frontend reads. */
import { Construct } from 'constructs';
import { WebTierConfig } from '../config/types';
import { BACKEND } from '../config/images';
import { k8s } from './k8s';
import { https, IpBlock, Reach } from './network';
import { TMP } from './pod';
import { SecretEnv } from '../config/secrets';
import { WebTier } from './web-tier';

/** The loop that holds a new backend pod until the migrations of its image have run (see README, Operating). */
export const WAIT_FOR_MIGRATIONS =
  'until python manage.py migrate --check; do echo "waiting for the migrations of this release"; sleep 5; done';

export interface BackendProps {
  readonly namespace: string;
  readonly config: WebTierConfig;
  /** What the image reads from its environment (see config/settings.ts). */
  readonly settings: Readonly<Record<string, string>>;
  readonly secretEnv: readonly SecretEnv[];
  /** Its PostgreSQL. */
  readonly database: Reach;
  /** Where it may connect on 443 (Elasticsearch, S3, Auth0). */
  readonly internet: readonly IpBlock[];
  /** Who outside the environment sends it the public's requests (the ingress controller). */
  readonly admitted: readonly k8s.NetworkPolicyPeer[];
}

export class Backend extends WebTier {
  constructor(scope: Construct, id: string, props: BackendProps) {
    super(scope, id, {
      namespace: props.namespace,
      image: BACKEND,
      component: 'backend',
      config: props.config,
      // Django answers only to OV_ALLOWED_HOSTS; the kubelet would send the pod IP.
      probeHost: BACKEND.name,
      settings: props.settings,
      secretEnv: props.secretEnv,
      writable: [
        TMP,
        { name: 'static', path: '/app/static', reason: '`collectstatic` at start writes to STATIC_ROOT when static files are stored locally' },
      ],
      initContainers: (container) => [{ ...container, name: 'wait-for-migrations', command: ['sh', '-c', WAIT_FOR_MIGRATIONS] }],
      reaches: [props.database, https(props.internet)],
      admitted: props.admitted,
    });
  }
}
