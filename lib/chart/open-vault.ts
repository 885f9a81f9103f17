/** The whole Open Vault stack for one environment: the one place that turns an environment into constructs. */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { backendSecretEnv, databaseSecretEnv, requiredSecrets } from '../config/secrets';
import { backendSettings, frontendSettings } from '../config/settings';
import { assertEnvironment, Environment } from '../config/types';
import { Backend } from './backend';
import { Database } from './database';
import { Frontend } from './frontend';
import { PublicIngress } from './ingress';
import { BackendJobs } from './jobs';
import { labels } from './labels';
import { k8s } from './k8s';
import { inNamespace, NetworkPolicies, Reach } from './network';
import { ExternalSecrets } from './secrets';

/** The Pod Security Standards version the namespace enforces: that of the API this chart is built on. */
export const POD_SECURITY_VERSION = 'v1.28';
export const DEFAULT_INGRESS_CONTROLLER_NAMESPACE = 'ingress-nginx';

export interface OpenVaultProps {
  /** Any valid environment: a registered one, or one a test or a preview builds. */
  readonly env: Environment;
}

/**
 * Composes the stack. Objects come out in construct order, and the Namespace is first so that
 * `kubectl apply -f` works on an empty cluster. Throws a ConfigError for an invalid environment.
 */
export class OpenVault extends Chart {
  readonly env: Environment;

  constructor(scope: Construct, id: string, props: OpenVaultProps) {
    super(scope, id);
    const env = (this.env = props.env);
    assertEnvironment(env);
    const namespace = env.namespace;

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: namespace,
        labels: {
          ...labels({ name: 'open-vault', namespace, component: 'namespace' }),
          // The cluster itself refuses any pod that is not "restricted".
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': POD_SECURITY_VERSION,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': POD_SECURITY_VERSION,
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': POD_SECURITY_VERSION,
        },
      },
    });
    if (env.externalSecrets) new ExternalSecrets(this, 'secrets', { namespace, config: env.externalSecrets, secrets: requiredSecrets(env) });

    const db = env.database;
    const database: Reach =
      db.mode === 'statefulset'
        ? new Database(this, 'db', { namespace, config: db, secretEnv: databaseSecretEnv(env) }).endpoint
        : 'cidr' in db.peer
          ? { to: 'external', name: 'external-db', peer: { ipBlock: { cidr: db.peer.cidr } }, port: db.port }
          : {
              to: 'external',
              name: 'external-db',
              peer: { ...inNamespace(db.peer.namespace ?? namespace), podSelector: { matchLabels: { ...db.peer.podLabels } } },
              port: db.port,
              ...((db.peer.namespace ?? namespace) === namespace ? { localPods: db.peer.podLabels } : {}),
            };
    const internet = env.network.egressCidrs;
    // The public's requests come from the ingress controller only.
    const admitted = [inNamespace(env.network.ingressControllerNamespace ?? DEFAULT_INGRESS_CONTROLLER_NAMESPACE)];

    const backend = new Backend(this, 'backend', {
      namespace,
      config: env.backend,
      settings: backendSettings(env),
      secretEnv: backendSecretEnv(env),
      database,
      internet,
      admitted,
    });
    new BackendJobs(this, 'jobs', {
      namespace,
      backend: backend.container,
      tag: env.backend.tag,
      database,
      internet,
      updateIndex: env.jobs.updateIndex,
      restart: env.jobs.restartBackend,
    });
    new Frontend(this, 'frontend', {
      namespace,
      config: env.frontend,
      settings: frontendSettings(env),
      backend: backend.endpoint,
      internet,
      admitted,
    });
    new PublicIngress(this, 'ingress', { namespace, host: env.host, config: env.ingress });
    new NetworkPolicies(this, 'network', { namespace });
  }
}
