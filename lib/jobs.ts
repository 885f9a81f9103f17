/**
 * The backend's jobs: migrations on every release, the daily search index update, and the
 * optional scheduled restart of the backend. They run the backend's image with its settings and
 * Secrets, under the same hardening.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { Environment, Schedule } from './config';
import { Identity, labels, meta } from './labels';
import { k8s, Manifest } from './k8s';
import { ContainerProps, hardenedPod, serviceAccount, TMP } from './pod';
import { BACKEND, JOBS } from './stack';

/** Longest object name that can also be a label value (Job names become the pods' `job-name` label). */
const MAX_NAME = 63;

/**
 * `ov-wag-migrate-<tag>`: a Job's pod template is immutable, so each release gets a Job of its own
 * and `kubectl apply` creates it instead of failing. A tag too long for a name is cut and given a
 * digest of the whole tag, so two long tags never share a name.
 */
export function migrationJobName(tag: string): string {
  const slug = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const name = `${JOBS.migrate}-${slug}`;
  if (name.length <= MAX_NAME) return name;
  const digest = createHash('sha256').update(tag).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - digest.length - 1).replace(/-+$/, '')}-${digest}`;
}

export const ARGOCD_HOOK_ANNOTATIONS = {
  'argocd.argoproj.io/hook': 'PreSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
} as const;

/** The pod of a job run with the backend's image, settings and Secrets. */
function backendJobPod(id: Identity, backend: Omit<ContainerProps, 'name'>, command: string[]): k8s.PodTemplateSpec {
  return {
    metadata: { labels: labels(id) },
    spec: hardenedPod({
      serviceAccountName: id.name,
      runAs: BACKEND.runAs,
      restartPolicy: 'Never',
      containers: [{ ...backend, name: id.name, command }],
    }),
  };
}

/** CronJob settings shared by the scheduled jobs: never two at once, bounded history and run time. */
function cronSpec(schedule: Schedule, job: k8s.JobSpec): k8s.CronJobSpec {
  return {
    schedule: schedule.schedule,
    timeZone: schedule.timeZone,
    concurrencyPolicy: 'Forbid',
    // A run missed by more than 10 minutes (controller down) is skipped, not run late.
    startingDeadlineSeconds: 600,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: { spec: job },
  };
}

export interface BackendJobsProps {
  readonly env: Environment;
  /** The backend container (image, settings, Secrets, resources, writable paths) the jobs run. */
  readonly backend: Omit<ContainerProps, 'name'>;
}

export class BackendJobs extends Construct {
  constructor(scope: Construct, id: string, p: BackendJobsProps) {
    super(scope, id);
    const { env } = p;
    const ns = env.namespace;

    const migrate = { name: JOBS.migrate, namespace: ns, component: 'migrations' };
    serviceAccount(this, migrate);
    new Manifest(this, 'migrate', k8s.KubeJob, {
      metadata: meta(migrate, migrationJobName(env.backend.tag), { ...ARGOCD_HOOK_ANNOTATIONS }),
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 900,
        // Kept a day for its logs; running it again is harmless, `migrate` is idempotent.
        ttlSecondsAfterFinished: 86400,
        template: backendJobPod(migrate, p.backend, ['python', 'manage.py', 'migrate', '--noinput']),
      },
    });

    const index = { name: JOBS.updateIndex, namespace: ns, component: 'search-index' };
    serviceAccount(this, index);
    new Manifest(this, 'update-index', k8s.KubeCronJob, {
      metadata: meta(index),
      spec: cronSpec(env.jobs.updateIndex, {
        backoffLimit: 2,
        activeDeadlineSeconds: 3600,
        template: backendJobPod(index, p.backend, ['python', 'manage.py', 'update_index']),
      }),
    });

    if (env.jobs.restartBackend) new BackendRestart(this, 'restart', env, env.jobs.restartBackend);
  }
}

/**
 * `kubectl rollout restart deployment/ov-wag` on a schedule. The only pod that mounts a
 * service account token; its Role may get and patch that one Deployment and nothing else.
 */
class BackendRestart extends Construct {
  constructor(scope: Construct, id: string, env: Environment, config: NonNullable<Environment['jobs']['restartBackend']>) {
    super(scope, id);
    const identity = { name: JOBS.restart, namespace: env.namespace, component: 'maintenance' };
    serviceAccount(this, identity, JOBS.restart, true);
    new Manifest(this, 'role', k8s.KubeRole, {
      metadata: meta(identity),
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [BACKEND.name], verbs: ['get', 'patch'] }],
    });
    new Manifest(this, 'binding', k8s.KubeRoleBinding, {
      metadata: meta(identity),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: JOBS.restart },
      subjects: [{ kind: 'ServiceAccount', name: JOBS.restart, namespace: env.namespace }],
    });
    new Manifest(this, 'cronjob', k8s.KubeCronJob, {
      metadata: meta(identity),
      spec: cronSpec(config, {
        backoffLimit: 1,
        activeDeadlineSeconds: 300,
        template: {
          metadata: { labels: labels(identity) },
          spec: hardenedPod({
            serviceAccountName: JOBS.restart,
            // The nonroot user of distroless images, which the kubectl image is built on.
            runAs: { user: 65532, group: 65532 },
            mountToken: true,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'kubectl',
                image: config.kubectlImage,
                command: ['kubectl', 'rollout', 'restart', `deployment/${BACKEND.name}`, '--namespace', env.namespace],
                // kubectl keeps its discovery cache under $HOME/.kube.
                env: [{ name: 'HOME', value: TMP.path }],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
                writable: [TMP],
              },
            ],
          }),
        },
      }),
    });
  }
}
