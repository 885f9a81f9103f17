/** ov-wag: the Wagtail CMS and the API the frontend reads. */
import { Construct } from 'constructs';
import { BackendConfig, suffixed } from '../config/types';
import { BACKEND, BACKEND_DEFAULT_WORKERS, backendStart } from '../config/images';
import { https, Reach } from './network';
import { TMP } from './pod';
import { SecretEnv } from '../config/secrets';
import { WebTier, WebTierInputs } from './web-tier';

/** The loop that holds a new backend pod until the migrations of its image have run (see README, Operating). */
export const WAIT_FOR_MIGRATIONS =
  'until python manage.py migrate --check; do echo "waiting for the migrations of this release"; sleep 5; done';

export interface BackendProps extends WebTierInputs {
  /** Tag, replicas, resources and the gunicorn worker count. */
  readonly config: BackendConfig;
  readonly secretEnv: readonly SecretEnv[];
  /** Its PostgreSQL. */
  readonly database: Reach;
}

export class Backend extends WebTier {
  constructor(scope: Construct, id: string, props: BackendProps) {
    super(scope, id, {
      placement: props.placement,
      image: BACKEND,
      component: 'backend',
      config: props.config,
      // Django answers only to OV_ALLOWED_HOSTS; the kubelet would send the pod IP.
      probeHost: suffixed(props.placement, BACKEND.name),
      settings: props.settings,
      secretEnv: props.secretEnv,
      // Static files and media go to S3 (ov_wag/settings/production.py STORAGES): only /tmp is written.
      writable: [TMP],
      // deploy.sh's own start, with `exec` so that SIGTERM reaches gunicorn (the image's shell would swallow it).
      command: backendStart(props.config.workers ?? BACKEND_DEFAULT_WORKERS, props.config.collectStatic),
      initContainers: (container) => [{ ...container, name: 'wait-for-migrations', command: ['sh', '-c', WAIT_FOR_MIGRATIONS] }],
      reaches: [props.database, https(props.internet)],
      admitted: props.admitted,
    });
  }
}
