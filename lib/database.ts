/** db: PostgreSQL as a StatefulSet with its own volume claim, behind a headless Service. */
import { Construct } from 'constructs';
import { Environment, InClusterDatabase } from './config';
import { labels, meta, selectorLabels } from './labels';
import { k8s, Manifest } from './k8s';
import { hardenedPod, quantity, serviceAccount, TMP } from './pod';
import { databaseSecretEnv, secretEnvVars } from './secrets';
import { DATABASE } from './stack';

/** The data directory the image expects; the claim is mounted here. */
export const DATA_MOUNT = '/var/lib/postgresql/data';
/** `initdb` refuses a non-empty directory, and a fresh volume often holds `lost+found`. */
export const PGDATA = `${DATA_MOUNT}/pgdata`;
const PORT_NAME = 'postgres';

/** `pg_isready` through a shell, which expands the user and database from the container's environment. */
const PG_ISREADY: k8s.Probe = {
  exec: { command: ['sh', '-c', 'exec pg_isready -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] },
};

export class Database extends Construct {
  readonly statefulSet: Manifest<typeof k8s.KubeStatefulSet>;
  readonly service: Manifest<typeof k8s.KubeService>;

  constructor(scope: Construct, id: string, env: Environment, db: InClusterDatabase) {
    super(scope, id);
    const identity = { name: DATABASE.name, namespace: env.namespace, component: 'database' };
    const selector = selectorLabels(DATABASE.name, env.namespace);

    // Headless: a stable DNS name per pod for the StatefulSet, and `db` for the backend.
    this.service = new Manifest(this, 'service', k8s.KubeService, {
      metadata: meta(identity),
      spec: {
        clusterIp: 'None',
        selector,
        ports: [{ name: PORT_NAME, port: DATABASE.port, targetPort: k8s.IntOrString.fromString(PORT_NAME), protocol: 'TCP' }],
      },
    });
    serviceAccount(this, identity);

    this.statefulSet = new Manifest(this, 'statefulset', k8s.KubeStatefulSet, {
      metadata: meta(identity),
      spec: {
        serviceName: DATABASE.name,
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        // Deleting or scaling down the StatefulSet never deletes the data.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels: labels(identity) },
          spec: hardenedPod({
            serviceAccountName: DATABASE.name,
            runAs: DATABASE.runAs,
            // Room for a clean shutdown: postgres checkpoints on SIGTERM (smart shutdown).
            terminationGracePeriodSeconds: 120,
            containers: [
              {
                name: 'postgres',
                image: `${DATABASE.repository}:${DATABASE.tag}`,
                ports: [{ name: PORT_NAME, containerPort: DATABASE.port, protocol: 'TCP' }],
                env: [
                  { name: 'POSTGRES_DB', value: db.name },
                  { name: 'POSTGRES_USER', value: db.user },
                  ...secretEnvVars(databaseSecretEnv(env)),
                  { name: 'PGDATA', value: PGDATA },
                ],
                resources: db.resources,
                writable: [
                  TMP,
                  { name: 'run', path: '/var/run/postgresql', reason: 'the server writes its Unix socket and lock file here' },
                  { name: 'shm', path: '/dev/shm', reason: 'parallel queries use POSIX shared memory; the runtime default is only 64Mi', medium: 'Memory', sizeLimit: '256Mi' },
                ],
                volumeMounts: [{ name: 'data', mountPath: DATA_MOUNT }],
                // Crash recovery after an unclean stop can take minutes: up to 10 before liveness counts.
                startupProbe: { ...PG_ISREADY, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
                readinessProbe: { ...PG_ISREADY, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                // Conservative: restart only after two minutes of a closed port, never on a slow query.
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString(PORT_NAME) }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
              },
            ],
          }),
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: labels(identity) },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(db.storageClassName ? { storageClassName: db.storageClassName } : {}),
              resources: { requests: { storage: quantity(db.storage) } },
            },
          },
        ],
      },
    });
  }
}
