/** The whole Open Vault stack for one environment. */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { assertEnvironment, Environment } from './config';
import { Backend } from './backend';
import { Database } from './database';
import { Frontend } from './frontend';
import { PublicIngress } from './ingress';
import { BackendJobs } from './jobs';
import { labels } from './labels';
import { k8s, Manifest } from './k8s';
import { NetworkPolicies } from './network-policies';
import { ExternalSecrets } from './secrets';

/** The Pod Security Standards version the namespace enforces: that of the API this chart is built on. */
export const POD_SECURITY_VERSION = 'v1.28';

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

    new Manifest(this, 'namespace', k8s.KubeNamespace, {
      metadata: {
        name: env.namespace,
        labels: {
          ...labels({ name: 'open-vault', namespace: env.namespace, component: 'namespace' }),
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
    new ExternalSecrets(this, 'secrets', env);
    if (env.database.mode === 'statefulset') new Database(this, 'db', env, env.database);
    const backend = new Backend(this, 'backend', env);
    new BackendJobs(this, 'jobs', { env, backend: backend.container });
    new Frontend(this, 'frontend', env);
    new PublicIngress(this, 'ingress', env);
    new NetworkPolicies(this, 'network', env);
  }
}
