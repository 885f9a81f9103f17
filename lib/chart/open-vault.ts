/** The whole Open Vault stack for one environment: the one place that turns an environment into constructs. */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { backendSecretEnv, databasePassword, databaseSecretEnv, frontendSecretEnv, GENERATED_SECRET_KEY, storedSecrets } from '../config/secrets';
import { backendSettings, frontendSettings } from '../config/settings';
import { Environment, EnvironmentInput, ExternalDatabase, InClusterDatabase, parseEnvironment, placementOf, sharesNamespace } from '../config/types';
import { Backend } from './backend';
import { DatabaseBackup } from './backup';
import { Database } from './database';
import { Frontend } from './frontend';
import { PublicIngress } from './ingress';
import { BackendJobs } from './jobs';
import { DatabaseSeed } from './seed';
import { KEEP, PREREQUISITE_KINDS, SYNC_WAVE, WAVES } from './sync-order';
import { labels } from './labels';
import { k8s } from './k8s';
import { inNamespace, NetworkPolicies, Reach } from './network';
import { ExternalSecrets } from './secrets';

/** An existing database as its clients reach it: its CIDR, or its pods (let in here when they are in this namespace). */
function externalDatabase(namespace: string, db: ExternalDatabase): Reach {
  if ('cidr' in db.peer) return { to: 'external', name: 'external-db', peer: { ipBlock: { cidr: db.peer.cidr } }, port: db.port };
  const where = db.peer.namespace ?? namespace;
  return {
    to: 'external',
    name: 'external-db',
    peer: { ...inNamespace(where), podSelector: { matchLabels: { ...db.peer.podLabels } } },
    port: db.port,
    ...(where === namespace ? { localPods: db.peer.podLabels } : {}),
  };
}

/**
 * The Pod Security Standards version the namespace enforces: `latest`, the profile of the cluster's own release.
 * A pinned version switches off every check added after it (pod-security-admission's policy/check_*.go: probes
 * and lifecycle hooks aimed at another host are refused from 1.34 on); the pods are tested against the newest
 * release's profile (test/cluster-admission.test.ts), so an upgrade of the cluster cannot refuse them unseen.
 */
export const POD_SECURITY_VERSION = 'latest';

export interface OpenVaultProps {
  /** Any valid environment: a registered one, or one a test or a preview builds (checked here). */
  readonly env: EnvironmentInput;
}

/**
 * Composes the stack. Objects come out in construct order, and the Namespace is first so that
 * `kubectl apply -f` works on an empty cluster. Throws a ConfigError for an invalid environment.
 */
export class OpenVault extends Chart {
  readonly env: Environment;

  constructor(scope: Construct, id: string, props: OpenVaultProps) {
    super(scope, id);
    const env = (this.env = parseEnvironment(props.env));
    const namespace = env.namespace;
    const placement = placementOf(env);
    // A preview shares the demo's namespace: the demo's chart owns the Namespace and its default deny.
    const ownsNamespace = !sharesNamespace(env);

    if (ownsNamespace) new k8s.KubeNamespace(this, 'namespace', {
      // Deleting the Application or a prune leaves the namespace, and with it every claim of its data.
      metadata: {
        name: namespace,
        annotations: { ...KEEP },
        labels: {
          ...labels({ name: 'open-vault', placement, component: 'namespace' }),
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
    if (env.externalSecrets) new ExternalSecrets(this, 'secrets', { placement, config: env.externalSecrets, secrets: storedSecrets(env), generated: GENERATED_SECRET_KEY });

    const db = env.database;
    const database = db.mode === 'statefulset' ? this.inClusterDatabase(env, db) : externalDatabase(namespace, db);
    const internet = env.network.egressCidrs;
    // The public's requests come from the ingress controller's pods only.
    const { controller } = env.ingress;
    const admitted = [{ ...inNamespace(controller.namespace), podSelector: { matchLabels: { ...controller.podLabels } } }];

    const backend = new Backend(this, 'backend', {
      placement,
      config: env.backend,
      settings: backendSettings(env),
      secretEnv: backendSecretEnv(env),
      database,
      internet,
      admitted,
    });
    new BackendJobs(this, 'jobs', {
      placement,
      backend: backend.container,
      tag: env.backend.tag,
      database,
      internet,
      updateIndex: env.jobs.updateIndex,
      restart: env.jobs.restartBackend,
    });
    new Frontend(this, 'frontend', {
      placement,
      config: env.frontend,
      settings: frontendSettings(env),
      secretEnv: frontendSecretEnv(env),
      backend: backend.endpoint,
      internet,
      admitted,
    });
    new PublicIngress(this, 'ingress', { placement, host: env.host, config: env.ingress });
    new NetworkPolicies(this, 'network', { placement, defaultDeny: ownsNamespace });
    this.beforeTheJobs();
  }

  /**
   * The seed and the migrations run as Argo CD hooks in waves of their own (./sync-order.ts): what they need
   * comes in the wave before them, the database, the ServiceAccounts, the NetworkPolicies (the namespace's
   * default deny holds from the start), the settings and the Secrets.
   */
  private beforeTheJobs(): void {
    for (const o of this.node.findAll().filter(ApiObject.isApiObject)) {
      if (PREREQUISITE_KINDS.includes(o.kind) || o.node.scopes.some((s) => s instanceof Database)) {
        o.metadata.addAnnotation(SYNC_WAVE, String(WAVES.prerequisites));
      }
    }
  }

  /** The StatefulSet, and its backups when the environment asks for them. */
  private inClusterDatabase(env: Environment, db: InClusterDatabase): Reach {
    const placement = placementOf(env);
    const database = new Database(this, 'db', { placement, config: db, secretEnv: databaseSecretEnv(env) });
    // How the seed and the backups connect: as the database's own role.
    const client = { placement, database: database.endpoint, name: db.name, user: db.user, password: [{ env: 'PGPASSWORD', secret: databasePassword(env) }] };
    if (db.seedFrom) new DatabaseSeed(this, 'seed', { ...client, source: { namespace: env.namespace, instance: db.seedFrom.instance } });
    if (db.backup) new DatabaseBackup(this, 'backup', { ...client, config: db.backup });
    return database.endpoint;
  }
}
