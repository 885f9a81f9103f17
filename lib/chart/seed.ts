/**
 * The seed of a preview's database: on its first sync, a Job copies the demo's database into the new one
 * (`pg_dump | psql`), the way the deployers fill their previews. It runs as an Argo CD Sync hook in the
 * first wave, and copies only into an empty database, so later syncs leave the preview's data alone.
 */
import { Construct } from 'constructs';
import { DATABASE } from '../config/images';
import { Placement, suffixed } from '../config/types';
import { CLIENT_RESOURCES, DatabaseClientProps, libpqEnv } from './database';
import { labels, meta, selectorLabels } from './labels';
import { k8s } from './k8s';
import { DNS, inNamespace, Reach, Reachability } from './network';
import { hardenedPod, serviceAccount, TMP } from './pod';

export const SEED = 'db-seed';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** Before the workloads' wave (0). */
export const SEED_WAVE = '-1';

/**
 * Waits for the new database, and copies the source into it only when it has no table yet. A failed dump
 * appends a statement that fails, so psql's single transaction rolls back instead of keeping half a copy.
 */
export const SEED_SCRIPT = `set -eu
log() { echo "seed: $*"; }
until pg_isready -q; do log "waiting for $PGHOST"; sleep 2; done
tables=$(psql -tAc "select count(*) from pg_catalog.pg_tables where schemaname = 'public'")
if [ "$tables" -gt 0 ]; then log "$PGDATABASE on $PGHOST has $tables tables: left as it is"; exit 0; fi
log "copying $PGDATABASE from $SOURCE_HOST"
{ pg_dump --no-owner --no-privileges -h "$SOURCE_HOST" -p "$SOURCE_PORT" "\${SOURCE_DATABASE:-$PGDATABASE}" || echo "DO \\$\\$ BEGIN RAISE EXCEPTION 'pg_dump failed'; END \\$\\$;"; } | psql -q -v ON_ERROR_STOP=1 --single-transaction
log "done"
`;

/** The new database, and whose database is copied into it (the same name, role and password in both). */
export interface DatabaseSeedProps extends DatabaseClientProps {
  /** An instance in the same namespace. */
  readonly source: Placement;
}

export class DatabaseSeed extends Construct {
  constructor(scope: Construct, id: string, props: DatabaseSeedProps) {
    super(scope, id);
    const { placement } = props;
    const identity = { name: SEED, placement, component: 'database' };
    serviceAccount(this, identity);
    // The one connection between a preview and the demo: this Job to the demo's database.
    const source: Reach = {
      to: 'external',
      name: `${SEED}-source`,
      peer: { ...inNamespace(placement.namespace), podSelector: { matchLabels: selectorLabels(DATABASE.name, props.source) } },
      port: DATABASE.port,
      localPods: selectorLabels(DATABASE.name, props.source),
    };
    new Reachability(this, 'reaches', { name: SEED, reaches: [DNS, props.database, source] });
    new k8s.KubeJob(this, 'job', {
      metadata: meta(identity, SEED, { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation', [SYNC_WAVE]: SEED_WAVE }),
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 1800,
        ttlSecondsAfterFinished: 86400,
        template: {
          metadata: { labels: labels(identity) },
          spec: hardenedPod({
            serviceAccountName: suffixed(placement, SEED),
            runAs: DATABASE.runAs,
            restartPolicy: 'Never',
            containers: [{
              name: SEED,
              image: `${DATABASE.repository}:${DATABASE.tag}`,
              command: ['/bin/sh', '-c', SEED_SCRIPT],
              env: [
                ...libpqEnv(props),
                { name: 'SOURCE_HOST', value: suffixed(props.source, DATABASE.name) },
                { name: 'SOURCE_PORT', value: String(DATABASE.port) },
              ],
              resources: CLIENT_RESOURCES,
              writable: [TMP],
            }],
          }),
        },
      },
    });
  }
}
