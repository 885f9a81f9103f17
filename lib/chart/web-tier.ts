/**
 * What ov-frontend and ov-wag have in common: a ConfigMap with the settings, a ServiceAccount,
 * a hardened Deployment with HTTP probes, a Service on port 80, and a PodDisruptionBudget when
 * there is more than one replica.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { Placement, suffixed, WebTierConfig } from '../config/types';
import { HTTP_PORT_NAME, ImageFacts, SERVICE_PORT } from '../config/images';
import { Identity, labels, meta, selectorLabels } from './labels';
import { k8s } from './k8s';
import { DNS, IpBlock, Reach, Reachability } from './network';
import { budgeted, ContainerProps, hardenedPod, httpGet, serviceAccount, WritableDir } from './pod';
import { SecretEnv } from '../config/secrets';
import { secretEnvVars } from './secrets';

/** What each web tier takes from the chart besides its own config. */
export interface WebTierInputs {
  readonly placement: Placement;
  /** What the image reads from its environment (see config/settings.ts). */
  readonly settings: Readonly<Record<string, string>>;
  /** Where it may connect on 443. */
  readonly internet: readonly IpBlock[];
  /** Who outside the environment sends it the public's requests (the ingress controller). */
  readonly admitted: readonly k8s.NetworkPolicyPeer[];
}

export interface WebTierProps {
  readonly placement: Placement;
  /** Name, image repository, port and user; the tag comes from `config`. */
  readonly image: ImageFacts & { readonly healthPath: string };
  readonly component: string;
  readonly config: WebTierConfig;
  /** Host header of the probes, for apps that check it. @default none (the pod IP) */
  readonly probeHost?: string;
  /** Non-secret settings, in the tier's ConfigMap and read with `envFrom`. */
  readonly settings: Readonly<Record<string, string>>;
  readonly secretEnv: readonly SecretEnv[];
  readonly writable: readonly WritableDir[];
  /** The server's command. @default the image's entrypoint */
  readonly command?: string[];
  /** Containers that must finish before the server starts. @default none */
  readonly initContainers?: (container: Omit<ContainerProps, 'name'>) => ContainerProps[];
  /** What the server connects to, besides DNS. @default nothing */
  readonly reaches?: readonly Reach[];
  /** Who outside the environment may connect to its port (the ingress controller). @default nobody */
  readonly admitted?: readonly k8s.NetworkPolicyPeer[];
}

/**
 * The pod template's annotation that carries a digest of the settings the pods read, as Helm charts do
 * (`checksum/config`): the ConfigMap keeps its name, and a changed setting changes the template, so the
 * Deployment rolls exactly when what its pods read changed (a pod reads `envFrom` only when it starts).
 */
export const SETTINGS_CHECKSUM = 'checksum/config';

/** sha256 of the settings, independent of the order they were declared in. */
export function settingsChecksum(settings: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(settings).sort().map((k) => [k, settings[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export class WebTier extends Construct {
  readonly identity: Identity;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  /** How other workloads declare that they reach this one. */
  readonly endpoint: Reach;
  /** The main container's settings, for jobs that run the same image the same way. */
  readonly container: Omit<ContainerProps, 'name'>;

  constructor(scope: Construct, id: string, p: WebTierProps) {
    super(scope, id);
    const name = p.image.name;
    const identity = (this.identity = { name, placement: p.placement, component: p.component });
    const selector = selectorLabels(name, p.placement);
    this.endpoint = { to: 'workload', name, port: p.image.port };
    new Reachability(this, 'reaches', {
      name,
      reaches: [DNS, ...(p.reaches ?? [])],
      admits: (p.admitted ?? []).map((from) => ({ from, port: p.image.port })),
    });

    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: meta(identity), data: { ...p.settings } });
    serviceAccount(this, identity);

    this.container = {
      image: `${p.image.repository}:${p.config.tag}`,
      envFrom: [{ configMapRef: { name: configMap.name } }],
      env: secretEnvVars(p.secretEnv),
      resources: p.config.resources,
      writable: p.writable,
    };
    const probe = httpGet(p.image.healthPath, HTTP_PORT_NAME, p.probeHost);
    const main: ContainerProps = {
      ...this.container,
      name,
      ...(p.command ? { command: p.command } : {}),
      ports: [{ name: HTTP_PORT_NAME, containerPort: p.image.port, protocol: 'TCP' }],
      // The image's own budgets, each with its reason (config/images.ts). Liveness asks only whether the server
      // still accepts connections on its port: a health route slow under load takes the pod out of the Service
      // rather than restarting it.
      startupProbe: budgeted(probe, p.image.probes.startup),
      readinessProbe: budgeted(probe, p.image.probes.readiness),
      livenessProbe: budgeted({ tcpSocket: { port: k8s.IntOrString.fromString(HTTP_PORT_NAME) } }, p.image.probes.liveness),
    };

    const { autoscale } = p.config;
    // The fewest pods there will be: with an autoscaler, its minimum.
    const fewest = autoscale ? autoscale.min : (p.config.replicas ?? 1);
    const most = autoscale ? autoscale.max : fewest;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta(identity),
      spec: {
        // Left to the autoscaler when there is one, so that a sync never resets what it chose.
        ...(autoscale ? {} : { replicas: fewest }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        // Never below the wanted count during a rollout; new pods come up first.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromString('50%') },
        },
        template: {
          metadata: { labels: labels(identity), annotations: { [SETTINGS_CHECKSUM]: settingsChecksum(p.settings) } },
          spec: hardenedPod({
            serviceAccountName: suffixed(p.placement, name),
            runAs: p.image.runAs,
            initContainers: p.initContainers?.(this.container),
            containers: [main],
            spreadLabels: most > 1 ? selector : undefined,
          }),
        },
      },
    });

    this.service = new k8s.KubeService(this, 'service', {
      metadata: meta(identity),
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: HTTP_PORT_NAME, port: SERVICE_PORT, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' }],
      },
    });

    if (autoscale) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
        metadata: meta(identity),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
          minReplicas: autoscale.min,
          maxReplicas: autoscale.max,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscale.cpuUtilization } } }],
        },
      });
    }

    if (fewest > 1) {
      // Voluntary disruptions (node drains) take one pod at a time, and never the last.
      new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: meta(identity),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
      });
    }
  }
}
