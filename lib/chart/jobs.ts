/**
 * The backend's jobs: migrations on every release, the daily search index update, and the
 * optional scheduled restart of the backend. They run the backend's image with its settings and
 * Secrets, under the same hardening.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { BACKEND, JOBS } from '../config/images';
import { Placement, RestartConfig, Schedule, suffixed } from '../config/types';
import { Identity, labels, meta } from './labels';
import { k8s } from './k8s';
import { DNS, https, IpBlock, Reach, Reachability } from './network';
import { ContainerProps, hardenedPod, JOB_DISK, serviceAccount, TMP } from './pod';

/** Longest object name that can also be a label value (Job names become the pods' `job-name` label). */
const MAX_NAME = 63;

/**
 * `ov-wag-migrate-<tag>-<digest>`: a Job's pod template is immutable, so the Job is named by its tag and a
 * digest of its whole template; any change to what it runs (another tag, a resource, a setting's checksum)
 * makes a new Job that `kubectl apply` creates instead of failing on the old one. A tag too long for a name
 * is cut; the digest keeps two such names apart.
 */
export function migrationJobName(tag: string, template: k8s.PodTemplateSpec, placement?: Placement): string {
  const slug = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const base = `${JOBS.migrate}-${slug}`;
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
  const unsuffixed = `${base}-${digest(`${tag}\0${JSON.stringify(template)}`)}`;
  const name = placement ? suffixed(placement, unsuffixed) : unsuffixed;
  if (name.length <= MAX_NAME) return name;
  return `${name.slice(0, MAX_NAME - 9).replace(/-+$/, '')}-${digest(name)}`;
}

/** Migrations run in the sync itself, with the workloads: for a database the sync creates (a preview's). */
export const ARGOCD_SYNC_HOOK: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/hook': 'Sync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
};

/** Migrations run before anything else changes in a sync. */
export const ARGOCD_PRESYNC_HOOK: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/hook': 'PreSync',
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
} as const;

/** The pod of a job run with the backend's image, settings and Secrets. */
function backendJobPod(id: Identity, backend: Omit<ContainerProps, 'name'>, command: string[]): k8s.PodTemplateSpec {
  return {
    metadata: { labels: labels(id) },
    spec: hardenedPod({
      serviceAccountName: suffixed(id.placement, id.name),
      runAs: BACKEND.runAs,
      restartPolicy: 'Never',
      containers: [{ ...backend, name: id.name, command }],
    }),
  };
}

/** CronJob settings shared by the scheduled jobs: never two at once, bounded history and run time. */
export function cronSpec(schedule: Schedule, job: k8s.JobSpec): k8s.CronJobSpec {
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
  readonly placement: Placement;
  /** The backend container (image, settings, Secrets, resources, writable paths) the jobs run. */
  readonly backend: Omit<ContainerProps, 'name'>;
  /** The backend's image tag, which names the migration Job. */
  readonly tag: string;
  /** The backend's PostgreSQL, which every job uses. */
  readonly database: Reach;
  /** Where the index update may connect on 443 (Elasticsearch). */
  readonly internet: readonly IpBlock[];
  readonly updateIndex: Schedule;
  /** @default no scheduled restart */
  readonly restart?: RestartConfig;
  /** When Argo CD runs the migrations. @default ARGOCD_PRESYNC_HOOK, before anything else changes */
  readonly hook?: Readonly<Record<string, string>>;
}

export class BackendJobs extends Construct {
  constructor(scope: Construct, id: string, p: BackendJobsProps) {
    super(scope, id);
    const placement = p.placement;

    const migrate = { name: JOBS.migrate, placement, component: 'migrations' };
    serviceAccount(this, migrate);
    // Migrations need the database only; the index update also writes to Elasticsearch.
    new Reachability(this, 'migrate-reaches', { name: JOBS.migrate, reaches: [DNS, p.database] });
    const template = backendJobPod(migrate, p.backend, ['python', 'manage.py', 'migrate', '--noinput']);
    new k8s.KubeJob(this, 'migrate', {
      metadata: { ...meta(migrate, JOBS.migrate, { ...(p.hook ?? ARGOCD_PRESYNC_HOOK) }), name: migrationJobName(p.tag, template, placement) },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 900,
        // Kept a day for its logs; running it again is harmless, `migrate` is idempotent.
        ttlSecondsAfterFinished: 86400,
        template,
      },
    });

    const index = { name: JOBS.updateIndex, placement, component: 'search-index' };
    serviceAccount(this, index);
    new Reachability(this, 'update-index-reaches', { name: JOBS.updateIndex, reaches: [DNS, p.database, https(p.internet)] });
    new k8s.KubeCronJob(this, 'update-index', {
      metadata: meta(index),
      spec: cronSpec(p.updateIndex, {
        backoffLimit: 2,
        activeDeadlineSeconds: 3600,
        template: backendJobPod(index, p.backend, ['python', 'manage.py', 'update_index']),
      }),
    });

    if (p.restart) new BackendRestart(this, 'restart', { placement, config: p.restart });
  }
}

/**
 * `kubectl rollout restart deployment/ov-wag` on a schedule. The only pod that mounts a
 * service account token; its Role may get and patch that one Deployment and nothing else.
 */
interface BackendRestartProps {
  readonly placement: Placement;
  readonly config: RestartConfig;
}

class BackendRestart extends Construct {
  constructor(scope: Construct, id: string, { placement, config }: BackendRestartProps) {
    super(scope, id);
    const identity = { name: JOBS.restart, placement, component: 'maintenance' };
    const name = (base: string) => suffixed(placement, base);
    serviceAccount(this, identity, JOBS.restart, true);
    new Reachability(this, 'reaches', {
      name: JOBS.restart,
      reaches: [DNS, { to: 'addresses', blocks: [{ cidr: config.apiServer.cidr }], port: config.apiServer.port }],
    });
    new k8s.KubeRole(this, 'role', {
      metadata: meta(identity),
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [name(BACKEND.name)], verbs: ['get', 'patch'] }],
    });
    new k8s.KubeRoleBinding(this, 'binding', {
      metadata: meta(identity),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: name(JOBS.restart) },
      subjects: [{ kind: 'ServiceAccount', name: name(JOBS.restart), namespace: placement.namespace }],
    });
    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: meta(identity),
      spec: cronSpec(config, {
        backoffLimit: 1,
        activeDeadlineSeconds: 300,
        template: {
          metadata: { labels: labels(identity) },
          spec: hardenedPod({
            serviceAccountName: name(JOBS.restart),
            // The nonroot user of distroless images, which the kubectl image is built on.
            runAs: { user: 65532, group: 65532 },
            mountToken: true,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'kubectl',
                image: config.kubectlImage,
                command: ['kubectl', 'rollout', 'restart', `deployment/${name(BACKEND.name)}`, '--namespace', placement.namespace],
                // kubectl keeps its discovery cache under $HOME/.kube.
                env: [{ name: 'HOME', value: TMP.path }],
                resources: {
                  requests: { cpu: '10m', memory: '32Mi', 'ephemeral-storage': JOB_DISK.request },
                  limits: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': JOB_DISK.limit },
                },
                writable: [TMP],
              },
            ],
          }),
        },
      }),
    });
  }
}
