/** Autoscaling of the web tiers, and the backups of an in-cluster database. */
import { BACKUP_SCRIPT, RESTORE_SCRIPT } from '../../lib/chart/backup-scripts';
import { BACKUP } from '../../lib/chart/backup';
import { DATABASE, FRONTEND } from '../../lib/config/images';
import { environmentProblems, parseEnvironment } from '../../lib/config/types';
import { selectorLabels } from '../../lib/chart/labels';
import { findViolations } from '../../lib/synth/validate';
import { DEMO, find, objectsOf, ofKind, PRODUCTION } from '../helpers';
import { allowed } from '../netpol';

const TIERS = ['frontend', 'backend'] as const;
const nameOf = (tier: (typeof TIERS)[number]) => (tier === 'frontend' ? FRONTEND.name : 'ov-wag');

describe('autoscaling', () => {
  test.each(TIERS)('production\'s %s scales on CPU, its Deployment leaves the count to the autoscaler, its budget follows the minimum', (tier) => {
    const objects = objectsOf(PRODUCTION);
    const scale = PRODUCTION[tier].autoscale!;
    const hpa = find(objects, 'HorizontalPodAutoscaler', nameOf(tier));
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: scale.min, maxReplicas: scale.max, scaleTargetRef: { kind: 'Deployment', name: nameOf(tier) } });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scale.cpuUtilization } } }]);
    const deployment = find(objects, 'Deployment', nameOf(tier));
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
    expect(ofKind(objects, 'PodDisruptionBudget').some((p) => p.metadata.name === nameOf(tier))).toBe(scale.min > 1);
  });

  test('the demo does not autoscale: fixed replicas, no autoscaler', () => {
    const objects = objectsOf(DEMO);
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    for (const tier of TIERS) expect(find(objects, 'Deployment', nameOf(tier)).spec.replicas).toBe(DEMO[tier].replicas);
  });

  test('a minimum of 1 gets no disruption budget; a maximum above 1 still spreads across nodes', () => {
    const env = parseEnvironment({ ...PRODUCTION, frontend: { ...PRODUCTION.frontend, autoscale: { min: 1, max: 3 } } });
    const objects = objectsOf(env);
    expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).not.toContain(FRONTEND.name);
    expect(find(objects, 'Deployment', FRONTEND.name).spec.template.spec.topologySpreadConstraints).toHaveLength(1);
  });

  test('min above max, min 0, and replicas beside autoscale are refused', () => {
    const with_ = (autoscale: unknown, extra = {}) => environmentProblems({ ...PRODUCTION, frontend: { ...PRODUCTION.frontend, autoscale, ...extra } });
    expect(with_({ min: 3, max: 2 })).toEqual(['ov: frontend.autoscale.max 2: must not be below min 3']);
    expect(with_({ min: 0, max: 2 })[0]).toMatch(/^ov: frontend\.autoscale\.min 0: /);
    expect(with_({ min: 2, max: 4 }, { replicas: 2 })).toEqual(['ov: frontend.replicas 2: set either replicas or autoscale, not both and not neither']);
  });

  test('an autoscaler whose Deployment sets replicas, or whose containers have no CPU request, fails validation', () => {
    const objects = structuredClone(objectsOf(PRODUCTION));
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === FRONTEND.name)!;
    deployment.spec.replicas = 2;
    delete deployment.spec.template.spec.containers[0].resources.requests.cpu;
    const rules = findViolations(objects).filter((v) => v.rule === 'autoscaler').map((v) => v.message);
    expect(rules).toEqual([expect.stringContaining('no CPU request'), expect.stringContaining('sets spec.replicas')]);
  });
});

describe.each([PRODUCTION, DEMO])('backups of $namespace', (env) => {
  const objects = objectsOf(env);
  const config = env.database.mode === 'statefulset' ? env.database.backup! : undefined;

  test('a CronJob dumps the database daily to a claim of its own, keeping the configured days, with the scripts tested against a real server', () => {
    const cron = find(objects, 'CronJob', BACKUP.backup);
    expect(cron.spec).toMatchObject({ schedule: config!.schedule, timeZone: config!.timeZone, concurrencyPolicy: 'Forbid' });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const [c] = pod.containers;
    expect(c.image).toBe(`${DATABASE.repository}:${DATABASE.tag}`);
    expect(c.command).toEqual(['/bin/sh', '-c', BACKUP_SCRIPT]);
    expect(c.env).toContainEqual({ name: 'BACKUP_KEEP_DAYS', value: String(config!.keepDays) });
    expect(pod.volumes).toContainEqual({ name: 'backup', persistentVolumeClaim: { claimName: BACKUP.backup } });
    expect(find(objects, 'PersistentVolumeClaim', BACKUP.backup).spec.resources.requests.storage).toBe(config!.storage);
    expect(pod.securityContext).toMatchObject({ runAsUser: DATABASE.runAs.user, runAsNonRoot: true });
  });

  test('the restore is a suspended CronJob with the restore script: it runs only when a Job is made from it', () => {
    const cron = find(objects, 'CronJob', BACKUP.restore);
    expect(cron.spec.suspend).toBe(true);
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(['/bin/sh', '-c', RESTORE_SCRIPT]);
  });

  test('backup and restore reach the database and nothing else', () => {
    const placement = { namespace: env.namespace, instance: env.namespace };
    for (const name of [BACKUP.backup, BACKUP.restore]) {
      const from = { namespace: env.namespace, labels: selectorLabels(name, placement) };
      expect(allowed(objects, from, { namespace: env.namespace, labels: selectorLabels(DATABASE.name, placement) }, DATABASE.port)).toBe(true);
      expect(allowed(objects, from, { ip: '52.1.2.3' }, 443)).toBe(false);
    }
    expect(findViolations(objects)).toEqual([]);
  });
});

test('an external database gets no backup jobs: it has its own', () => {
  const external = parseEnvironment({
    ...PRODUCTION,
    database: { mode: 'external', host: 'db.example.org', port: 5432, name: 'ov', user: 'ov', peer: { cidr: '192.0.2.0/24' } },
  });
  const names = objectsOf(external).map((o) => o.metadata.name);
  expect(names).not.toContain(BACKUP.backup);
  expect(names).not.toContain(BACKUP.restore);
});
