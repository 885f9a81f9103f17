/** db: PostgreSQL as a StatefulSet with its own volume claim, behind a headless Service. */
import { Construct } from 'constructs';
import { DATABASE } from '../config/images';
import { SecretEnv } from '../config/secrets';
import { InClusterDatabase, Placement, Resources, suffixed } from '../config/types';
import { labels, meta, selectorLabels } from './labels';
import { k8s } from './k8s';
import { DNS, Reach, Reachability } from './network';
import { budgeted, hardenedPod, JOB_DISK, quantity, serviceAccount, TMP } from './pod';
import { secretEnvVars } from './secrets';

/** The data directory the image expects; the claim is mounted here. */
export const DATA_MOUNT = '/var/lib/postgresql/data';
/** `initdb` refuses a non-empty directory, and a fresh volume often holds `lost+found`. */
export const PGDATA = `${DATA_MOUNT}/pgdata`;
const PORT_NAME = 'postgres';

/** `pg_isready` through a shell, which expands the user and database from the container's environment. */
const PG_ISREADY: k8s.Probe = {
  exec: { command: ['sh', '-c', `exec pg_isready -h 127.0.0.1 -p ${DATABASE.port} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] },
};

/** What a job that connects to the database is given: where it is, and as whom. */
export interface DatabaseClientProps {
  readonly placement: Placement;
  /** The database, as its clients reach it. */
  readonly database: Reach & { readonly to: 'workload' };
  /** Database and role names. */
  readonly name: string;
  readonly user: string;
  /** The role's password, as PGPASSWORD from a Secret. */
  readonly password: readonly SecretEnv[];
}

/** A job that runs the database's clients (backup, restore, seed). */
export const CLIENT_RESOURCES: Resources = {
  requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': JOB_DISK.request },
  limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': JOB_DISK.limit },
};

/** The libpq variables that point psql, pg_dump and pg_restore at the database. */
export function libpqEnv(p: DatabaseClientProps): k8s.EnvVar[] {
  return [
    { name: 'PGHOST', value: suffixed(p.placement, p.database.name) },
    { name: 'PGPORT', value: String(p.database.port) },
    { name: 'PGDATABASE', value: p.name },
    { name: 'PGUSER', value: p.user },
    ...secretEnvVars(p.password),
  ];
}

export interface DatabaseProps {
  readonly placement: Placement;
  /** Size, storage class, resources, database and role names. */
  readonly config: InClusterDatabase;
  /** `POSTGRES_PASSWORD`, set on the first start of an empty volume. */
  readonly secretEnv: readonly SecretEnv[];
}

export class Database extends Construct {
  readonly statefulSet: k8s.KubeStatefulSet;
  readonly service: k8s.KubeService;
  /** How clients declare that they reach it. */
  readonly endpoint = { to: 'workload', name: DATABASE.name, port: DATABASE.port } as const satisfies Reach;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const db = props.config;
    const identity = { name: DATABASE.name, placement: props.placement, component: 'database' };
    const selector = selectorLabels(DATABASE.name, props.placement);
    // It calls nobody; its clients' declarations let them in.
    new Reachability(this, 'reaches', { name: DATABASE.name, reaches: [DNS] });

    // Headless: a stable DNS name per pod for the StatefulSet, and `db` for the backend.
    this.service = new k8s.KubeService(this, 'service', {
      metadata: meta(identity),
      spec: {
        clusterIp: 'None',
        selector,
        ports: [{ name: PORT_NAME, port: DATABASE.port, targetPort: k8s.IntOrString.fromString(PORT_NAME), protocol: 'TCP' }],
      },
    });
    serviceAccount(this, identity);

    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: meta(identity),
      spec: {
        serviceName: suffixed(props.placement, DATABASE.name),
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        // Scaling down never deletes the data; deleting the StatefulSet does only where asked (a preview's copy).
        persistentVolumeClaimRetentionPolicy: { whenDeleted: db.keepVolume ? 'Retain' : 'Delete', whenScaled: 'Retain' },
        template: {
          metadata: { labels: labels(identity) },
          spec: hardenedPod({
            serviceAccountName: suffixed(props.placement, DATABASE.name),
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
                  ...secretEnvVars(props.secretEnv),
                  { name: 'PGDATA', value: PGDATA },
                ],
                resources: db.resources,
                writable: [
                  TMP,
                  { name: 'run', path: '/var/run/postgresql', reason: 'the server writes its Unix socket and lock file here' },
                  { name: 'shm', path: '/dev/shm', reason: 'parallel queries use POSIX shared memory; the runtime default is only 64Mi', medium: 'Memory', sizeLimit: '256Mi' },
                ],
                volumeMounts: [{ name: 'data', mountPath: DATA_MOUNT }],
                // The image's own budgets, each with its reason (config/images.ts).
                startupProbe: budgeted(PG_ISREADY, DATABASE.probes.startup),
                readinessProbe: budgeted(PG_ISREADY, DATABASE.probes.readiness),
                livenessProbe: budgeted({ tcpSocket: { port: k8s.IntOrString.fromString(PORT_NAME) } }, DATABASE.probes.liveness),
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
