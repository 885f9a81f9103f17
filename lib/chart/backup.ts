/**
 * Backups of the in-cluster PostgreSQL: a CronJob that writes a `pg_dump` to a volume of its own and keeps
 * a number of days of them, and a suspended CronJob that restores one, started by hand (see README,
 * Operating). Both run the database's own image, hardened like every pod, reaching only the database.
 */
import { Construct } from 'constructs';
import { DATABASE } from '../config/images';
import { BackupConfig, suffixed } from '../config/types';
import { BACKUP_SCRIPT, RESTORE_SCRIPT } from './backup-scripts';
import { CLIENT_RESOURCES, DatabaseClientProps, libpqEnv } from './database';
import { cronSpec } from './jobs';
import { labels, meta } from './labels';
import { k8s } from './k8s';
import { DNS, Reachability } from './network';
import { hardenedPod, quantity, serviceAccount, TMP } from './pod';

export const BACKUP = { backup: 'db-backup', restore: 'db-restore' } as const;
const MOUNT = '/backup';

export interface DatabaseBackupProps extends DatabaseClientProps {
  /** Schedule, retention and the size of the backup volume. */
  readonly config: BackupConfig;
}

export class DatabaseBackup extends Construct {
  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const { placement, config } = props;
    const identity = { name: BACKUP.backup, placement, component: 'backup' };

    // The dumps outlive the database's own volume; Argo CD never prunes them.
    new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: meta(identity, BACKUP.backup, { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' }),
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(config.storageClassName ? { storageClassName: config.storageClassName } : {}),
        resources: { requests: { storage: quantity(config.storage) } },
      },
    });

    const env: k8s.EnvVar[] = [
      ...libpqEnv(props),
      { name: 'BACKUP_DIR', value: MOUNT },
      { name: 'BACKUP_KEEP_DAYS', value: String(config.keepDays) },
    ];
    const job = (name: string, component: string, script: string): k8s.JobSpec => {
      const id = { name, placement, component };
      return {
        backoffLimit: 1,
        activeDeadlineSeconds: 3600,
        template: {
          metadata: { labels: labels(id) },
          spec: hardenedPod({
            serviceAccountName: suffixed(placement, name),
            runAs: DATABASE.runAs,
            restartPolicy: 'Never',
            containers: [{
              name,
              image: `${DATABASE.repository}:${DATABASE.tag}`,
              command: ['/bin/sh', '-c', script],
              env,
              resources: CLIENT_RESOURCES,
              writable: [TMP],
              volumeMounts: [{ name: 'backup', mountPath: MOUNT }],
            }],
            volumes: [{ name: 'backup', persistentVolumeClaim: { claimName: suffixed(placement, BACKUP.backup) } }],
          }),
        },
      };
    };

    for (const [name, component, script, suspend] of [
      [BACKUP.backup, 'backup', BACKUP_SCRIPT, false],
      // Started by hand: kubectl create job --from=cronjob/db-restore.
      [BACKUP.restore, 'restore', RESTORE_SCRIPT, true],
    ] as const) {
      const id = { name, placement, component };
      serviceAccount(this, id);
      new Reachability(this, `${name}-reaches`, { name, reaches: [DNS, props.database] });
      // The restore never runs on its own: suspended, and scheduled for February 31st should it be resumed.
      const when = suspend ? { ...config, schedule: '0 0 31 2 *' } : config;
      new k8s.KubeCronJob(this, name, {
        metadata: meta(id),
        spec: { ...cronSpec(when, job(name, component, script)), suspend },
      });
    }
  }
}
