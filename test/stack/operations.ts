/** Operating the stack: migrations, the search index, scheduled restarts, TLS and routing, an external database. */
import { Environment } from '../../lib/config/types';
import { migrationJobName } from '../../lib/chart/jobs';
import { requiredSecrets } from '../../lib/config/secrets';
import { findViolations } from '../../lib/synth/validate';
import { containers, DEMO, find, objectsOf, ofKind, podTemplate, PRODUCTION, variant } from '../helpers';

const BACKEND_IMAGE = (env: Environment) => `ghcr.io/wgbh-mla/ov-wag:${env.backend.tag}`;

describe.each([['ov', PRODUCTION], ['ov-demo', DEMO]] as const)('%s', (_name, env) => {
  const objects = objectsOf(env);
  const backend = find(objects, 'Deployment', 'ov-wag').spec.template.spec;

  test('a migration Job per release runs `migrate` with the backend image, settings and Secrets, as an Argo CD PreSync hook', () => {
    const [job] = ofKind(objects, 'Job');
    expect(job.metadata.name).toBe('ov-wag-migrate-v1-1-0');
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PreSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(job.spec).toMatchObject({ backoffLimit: 3, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 86400 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [c] = pod.containers;
    expect(c.command).toEqual(['python', 'manage.py', 'migrate', '--noinput']);
    expect(c.image).toBe(BACKEND_IMAGE(env));
    expect(c.envFrom).toEqual(backend.containers[0].envFrom);
    expect(c.env).toEqual(backend.containers[0].env);
  });

  test('new backend pods wait until the migrations of their image have run', () => {
    const [wait] = backend.initContainers;
    expect(wait.name).toBe('wait-for-migrations');
    expect(wait.image).toBe(BACKEND_IMAGE(env));
    expect(wait.command).toEqual(['sh', '-c', expect.stringMatching(/^until python manage\.py migrate --check; do .*sleep 5; done$/)]);
    expect(wait.envFrom).toEqual(backend.containers[0].envFrom);
  });

  test('the search index is rebuilt on the configured schedule, one run at a time, bounded', () => {
    const cron = find(objects, 'CronJob', 'ov-wag-update-index');
    expect(cron.spec).toMatchObject({
      schedule: '0 8 * * *', timeZone: 'America/New_York', concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
    });
    const job = cron.spec.jobTemplate.spec;
    expect(job.activeDeadlineSeconds).toBe(3600);
    const [c] = job.template.spec.containers;
    expect(c.command).toEqual(['python', 'manage.py', 'update_index']);
    expect(c.image).toBe(BACKEND_IMAGE(env));
    expect(c.resources).toEqual(backend.containers[0].resources);
  });

  test('the Ingress redirects to HTTPS, takes large uploads, and gets its certificate from cert-manager', () => {
    const ingress = find(objects, 'Ingress', 'open-vault');
    expect(ingress.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt-production',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/proxy-body-size': '100m',
    });
  });
});

test('the scheduled restart exists exactly where an environment asks for it', () => {
  expect(ofKind(objectsOf(DEMO), 'CronJob').map((c) => c.metadata.name)).toEqual(['ov-wag-update-index']);
  expect(ofKind(objectsOf(DEMO), 'Role')).toEqual([]);
  const objects = objectsOf(PRODUCTION);
  const cron = find(objects, 'CronJob', 'ov-wag-restart');
  expect(cron.spec).toMatchObject({ schedule: '30 7 * * *', timeZone: 'America/New_York', concurrencyPolicy: 'Forbid' });
  const pod = cron.spec.jobTemplate.spec.template.spec;
  expect(pod.serviceAccountName).toBe('ov-wag-restart');
  expect(pod.automountServiceAccountToken).toBe(true);
  const [c] = pod.containers;
  expect(c.image).toBe('registry.k8s.io/kubectl:v1.31.2');
  expect(c.command).toEqual(['kubectl', 'rollout', 'restart', 'deployment/ov-wag', '--namespace', 'ov']);
});

test('the restart job may get and patch the ov-wag Deployment and nothing else', () => {
  const objects = objectsOf(PRODUCTION);
  expect(find(objects, 'Role', 'ov-wag-restart').rules).toEqual([
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['ov-wag'], verbs: ['get', 'patch'] },
  ]);
  const binding = find(objects, 'RoleBinding', 'ov-wag-restart');
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ov-wag-restart' });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ov-wag-restart', namespace: 'ov' }]);
  const tokenMounters = objects
    .flatMap((o) => [o.spec?.template?.spec, o.spec?.jobTemplate?.spec?.template?.spec])
    .filter((spec) => spec?.automountServiceAccountToken === true);
  expect(tokenMounters).toHaveLength(1);
});

describe('migration Job names', () => {
  test('follow the tag, as a DNS label', () => {
    expect(migrationJobName('v1.1.0')).toBe('ov-wag-migrate-v1-1-0');
    expect(migrationJobName('pr-195')).toBe('ov-wag-migrate-pr-195');
    expect(migrationJobName('Release_2.0')).toBe('ov-wag-migrate-release-2-0');
  });

  test('are cut to 63 characters, and two long tags never share a name', () => {
    const a = migrationJobName(`${'v'.repeat(100)}.1`);
    const b = migrationJobName(`${'v'.repeat(100)}.2`);
    for (const name of [a, b]) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(a).not.toBe(b);
    expect(migrationJobName(`${'v'.repeat(100)}.1`)).toBe(a);
  });

  test('change with the backend tag, so `kubectl apply` of a release creates a new Job', () => {
    const next = variant(DEMO, { backend: { ...DEMO.backend, tag: 'v1.2.0' } });
    expect(ofKind(objectsOf(next), 'Job').map((j) => j.metadata.name)).toEqual(['ov-wag-migrate-v1-2-0']);
  });
});

describe('TLS and routing per environment', () => {
  test('an existing TLS Secret: no issuer annotation, the Secret named on the host', () => {
    const env = variant(DEMO, { ingress: { ...DEMO.ingress, tls: { mode: 'secret', secretName: 'wildcard-tls' } } });
    const ingress = find(objectsOf(env), 'Ingress', 'open-vault');
    expect(ingress.spec.tls).toEqual([{ hosts: [DEMO.host], secretName: 'wildcard-tls' }]);
    expect(ingress.metadata.annotations!['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/ssl-redirect']).toBe('true');
  });

  test('TLS off: no tls section, no redirect, and http URLs and insecure cookies in the settings', () => {
    const env = variant(DEMO, { ingress: { ...DEMO.ingress, tls: { mode: 'off' }, maxBodySize: '20m' } });
    const objects = objectsOf(env);
    const ingress = find(objects, 'Ingress', 'open-vault');
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-body-size': '20m' });
    const data = find(objects, 'ConfigMap', 'ov-wag').data;
    expect(data.OV_BASE_URL).toBe(`http://${DEMO.host}`);
    expect(data.OV_CSRF_COOKIE_SECURE).toBe('false');
    expect(data.OV_SESSION_COOKIE_SECURE).toBe('false');
  });

  test('a separate admin host serves only the backend paths, with its own certificate, and the backend trusts it', () => {
    const env = variant(PRODUCTION, { ingress: { ...PRODUCTION.ingress, adminHost: 'admin.openvault.wgbh.org', className: 'traefik' } });
    const objects = objectsOf(env);
    const ingress = find(objects, 'Ingress', 'open-vault');
    expect(ingress.spec.ingressClassName).toBe('traefik');
    const admin = ingress.spec.rules.find((r: any) => r.host === 'admin.openvault.wgbh.org');
    expect(admin.http.paths.map((p: any) => [p.path, p.backend.service.name])).toEqual([
      ['/admin', 'ov-wag'], ['/accounts', 'ov-wag'], ['/authorize', 'ov-wag'], ['/login', 'ov-wag'], ['/logout', 'ov-wag'],
    ]);
    expect(ingress.spec.tls).toContainEqual({ hosts: ['admin.openvault.wgbh.org'], secretName: 'admin-openvault-wgbh-org-tls' });
    const data = find(objects, 'ConfigMap', 'ov-wag').data;
    expect(data.OV_ADMIN_BASE_URL).toBe('https://admin.openvault.wgbh.org');
    expect(data.OV_ALLOWED_HOSTS.split(',')).toContain('admin.openvault.wgbh.org');
    expect(data.OV_TRUSTED_ORIGINS).toBe('https://openvault.wgbh.org,https://admin.openvault.wgbh.org');
    expect(findViolations(objects)).toEqual([]);
  });
});

describe('an external database', () => {
  const env = variant(PRODUCTION, {
    database: {
      mode: 'external', host: 'ov-db-cluster-rw', port: 5432, name: 'ov', user: 'ov',
      password: { name: 'ov-db-cluster-app', key: 'password' }, peer: { podLabels: { 'cnpg.io/cluster': 'ov-db-cluster' } },
    },
    externalSecrets: undefined,
  });
  const objects = objectsOf(env);

  test('emits no StatefulSet, no db Service and no db policy', () => {
    expect(objects.filter((o) => o.metadata.name === 'db')).toEqual([]);
    expect(ofKind(objects, 'StatefulSet')).toEqual([]);
    expect(findViolations(objects)).toEqual([]);
  });

  test('points the backend and the jobs at it, with its password Secret', () => {
    const data = find(objects, 'ConfigMap', 'ov-wag').data;
    expect([data.OV_DB_HOST, data.OV_DB_PORT]).toEqual(['ov-db-cluster-rw', '5432']);
    const jobs = [...ofKind(objects, 'Job'), find(objects, 'CronJob', 'ov-wag-update-index')];
    const pods = [find(objects, 'Deployment', 'ov-wag'), ...jobs].map((w) => podTemplate(w).spec);
    for (const pod of pods) {
      for (const c of containers(pod)) {
        expect(c.envFrom).toEqual([{ configMapRef: { name: 'ov-wag' } }]);
        expect(c.env).toContainEqual({ name: 'OV_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'ov-db-cluster-app', key: 'password' } } });
      }
    }
    expect(requiredSecrets(env).map((s) => s.name)).toEqual(['ov-db-cluster-app', 'ov-frontend', 'ov-wag']);
  });

  test('outside the cluster: the policies allow its CIDR on its port', () => {
    const outside = variant(env, { database: { ...(env.database as any), host: 'db.example.org', port: 6432, peer: { cidr: '192.0.2.0/24' } } });
    const policy = find(objectsOf(outside), 'NetworkPolicy', 'ov-wag');
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ protocol: 'TCP', port: 6432 }] });
    expect(ofKind(objectsOf(outside), 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('external-db');
  });
});

describe('postgres', () => {
  const sts = find(objectsOf(PRODUCTION), 'StatefulSet', 'db');
  const pod = sts.spec.template.spec;
  const [pg] = pod.containers;

  test('shuts down cleanly, with shared memory in RAM, and keeps its claim', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(pod.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } });
    expect(pg.volumeMounts).toContainEqual({ name: 'shm', mountPath: '/dev/shm' });
    expect(pg.volumeMounts).toContainEqual({ name: 'run', mountPath: '/var/run/postgresql' });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('is ready by pg_isready, and restarted only after minutes of a closed port', () => {
    expect(pg.readinessProbe.exec.command).toEqual(['sh', '-c', expect.stringContaining('pg_isready -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"')]);
    expect(pg.livenessProbe.tcpSocket).toEqual({ port: 'postgres' });
    expect(pg.livenessProbe.periodSeconds * pg.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(120);
    expect(pg.startupProbe.periodSeconds * pg.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('takes its storage class and size from the environment', () => {
    const env = variant(DEMO, { database: { ...(DEMO.database as any), storageClassName: 'gp3', storage: '8Gi' } });
    const [claim] = find(objectsOf(env), 'StatefulSet', 'db').spec.volumeClaimTemplates;
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '8Gi' } } });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });
});
