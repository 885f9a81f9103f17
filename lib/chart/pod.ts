/**
 * The one hardening helper every pod of the stack is built with: Pod Security "restricted"
 * (Kubernetes 1.28), a read-only root file system with an emptyDir for each path the image
 * writes, no service account token unless asked for, and every value set explicitly.
 */
import { Construct } from 'constructs';
import { ProbeBudget, RunAs } from '../config/images';
import { isImmutableImage } from '../config/rules';
import { Resources } from '../config/types';
import { Identity, meta } from './labels';
import { k8s } from './k8s';


/** A directory the container writes to: an emptyDir, since the root file system is read-only. */
export interface WritableDir {
  /** Volume name, unique in the pod. */
  readonly name: string;
  readonly path: string;
  /** Why the image writes there: kept next to the mount so nobody removes it by accident. */
  readonly reason: string;
  /** Back it with memory rather than node disk (for `/dev/shm`). @default node disk */
  readonly medium?: 'Memory';
  /** Cap on its size; the pod is evicted beyond it. @default '256Mi' */
  readonly sizeLimit?: string;
}

export interface ContainerProps {
  readonly name: string;
  readonly image: string;
  /** @default the image's entrypoint */
  readonly command?: string[];
  /** @default the image's command */
  readonly args?: string[];
  /** @default none */
  readonly ports?: k8s.ContainerPort[];
  /** @default none */
  readonly env?: k8s.EnvVar[];
  /** @default none */
  readonly envFrom?: k8s.EnvFromSource[];
  readonly resources: Resources;
  /** Every path the process writes to, besides `volumeMounts`. */
  readonly writable: readonly WritableDir[];
  /** Mounts of volumes the pod brings itself (a data claim). @default none */
  readonly volumeMounts?: k8s.VolumeMount[];
  /** @default none */
  readonly startupProbe?: k8s.Probe;
  /** @default none */
  readonly readinessProbe?: k8s.Probe;
  /** @default none */
  readonly livenessProbe?: k8s.Probe;
}

export interface PodProps {
  readonly serviceAccountName: string;
  readonly runAs: RunAs;
  readonly containers: readonly ContainerProps[];
  /** @default none */
  readonly initContainers?: readonly ContainerProps[];
  /** Mount the service account token: only for a pod that calls the Kubernetes API. @default false */
  readonly mountToken?: boolean;
  /** @default 'Always' (what a Deployment or StatefulSet requires) */
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** Time between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Volumes the pod brings besides its emptyDirs (a claim). @default none */
  readonly volumes?: readonly k8s.Volume[];
  /** Spread pods with these labels across nodes. @default no spreading */
  readonly spreadLabels?: Record<string, string>;
}

const DEFAULT_SIZE_LIMIT = '256Mi';

/**
 * Node disk (`ephemeral-storage`) of a job's container: its `/tmp` (capped at 256Mi) and its log. The limit
 * covers both at once, so that only the cap of `/tmp` itself stops a runaway write.
 */
export const JOB_DISK = { request: '32Mi', limit: '512Mi' } as const;

/** A Kubernetes quantity; the typed wrapper keeps values from silently turning into null. */
export const quantity = (q: string) => k8s.Quantity.fromString(q);

function resources(r: Resources): k8s.ResourceRequirements {
  const amounts = (a: Resources['requests']) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, quantity(v)]));
  return { requests: amounts(r.requests), limits: amounts(r.limits) };
}

/** A container that satisfies the restricted profile and writes only to its declared directories. */
export function hardenedContainer(p: ContainerProps): k8s.Container {
  return {
    name: p.name,
    image: p.image,
    // A release tag or digest always names the same build, so a cached copy is the right one; a moving tag
    // (`main`, `pr-195`, `16-alpine`) is looked up on every start, so new pods run its latest build.
    imagePullPolicy: isImmutableImage(p.image) ? 'IfNotPresent' : 'Always',
    ...(p.command ? { command: p.command } : {}),
    ...(p.args ? { args: p.args } : {}),
    ...(p.ports ? { ports: p.ports } : {}),
    ...(p.envFrom ? { envFrom: p.envFrom } : {}),
    ...(p.env ? { env: p.env } : {}),
    resources: resources(p.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [...p.writable.map((w) => ({ name: w.name, mountPath: w.path })), ...(p.volumeMounts ?? [])],
    ...(p.startupProbe ? { startupProbe: p.startupProbe } : {}),
    ...(p.readinessProbe ? { readinessProbe: p.readinessProbe } : {}),
    ...(p.livenessProbe ? { livenessProbe: p.livenessProbe } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** Pod spec with the restricted security context and one emptyDir per declared writable directory. */
export function hardenedPod(p: PodProps): k8s.PodSpec {
  const all = [...(p.initContainers ?? []), ...p.containers];
  const dirs = new Map<string, WritableDir>();
  for (const w of all.flatMap((c) => c.writable)) dirs.set(w.name, w);
  return {
    serviceAccountName: p.serviceAccountName,
    automountServiceAccountToken: p.mountToken ?? false,
    // Service links would inject an environment variable per Service of the namespace.
    enableServiceLinks: false,
    restartPolicy: p.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: p.terminationGracePeriodSeconds ?? 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: p.runAs.user,
      runAsGroup: p.runAs.group,
      // Volumes are group-owned by the pod's group, so a fresh data claim is writable.
      fsGroup: p.runAs.group,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(p.initContainers ? { initContainers: p.initContainers.map(hardenedContainer) } : {}),
    containers: p.containers.map(hardenedContainer),
    ...(p.spreadLabels
      ? {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              // Prefer, not require: a one-node cluster must still schedule every replica.
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: p.spreadLabels },
              // Spread each rollout's pods on their own, not old and new together.
              matchLabelKeys: ['pod-template-hash'],
            },
          ],
        }
      : {}),
    volumes: [
      ...[...dirs.values()].map((w) => ({
        name: w.name,
        emptyDir: { ...(w.medium ? { medium: w.medium } : {}), sizeLimit: quantity(w.sizeLimit ?? DEFAULT_SIZE_LIMIT) },
      })),
      ...(p.volumes ?? []),
    ],
  };
}

/** The workload's own ServiceAccount, with no API token unless the workload calls the API. */
export function serviceAccount(scope: Construct, id: Identity, name: string = id.name, mountToken = false): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, `${name}-sa`, { metadata: meta(id, name), automountServiceAccountToken: mountToken });
}

/** `/tmp`, which nearly every process writes to. */
export const TMP: WritableDir = { name: 'tmp', path: '/tmp', reason: 'temporary files of the runtime and libraries' };

/** An HTTP GET probe on a named port; `host` sets the Host header (Django rejects unknown hosts). */
export function httpGet(path: string, port: string, host?: string): Pick<k8s.Probe, 'httpGet'> {
  return {
    httpGet: {
      path,
      port: k8s.IntOrString.fromString(port),
      scheme: 'HTTP',
      ...(host ? { httpHeaders: [{ name: 'Host', value: host }] } : {}),
    },
  };
}

/** A probe's check with the budget an image declares for it (config/images.ts); the reason stays in the declaration. */
export function budgeted(check: k8s.Probe, budget: ProbeBudget): k8s.Probe {
  return { ...check, periodSeconds: budget.periodSeconds, timeoutSeconds: budget.timeoutSeconds, failureThreshold: budget.failureThreshold };
}
