/** Operating the stack: migrations, the search index, scheduled restarts, TLS and routing, an external database. */
import { Environment } from '../../lib/config/types';
import { ENVIRONMENTS } from '../../lib/config/environments';
import { BACKEND, BACKEND_PATHS, DATABASE, JOBS } from '../../lib/config/images';
import { BACKUP } from '../../lib/chart/backup';
import { INGRESS_NAME } from '../../lib/chart/ingress';
import { migrationJobName } from '../../lib/chart/jobs';
import { WAVES } from '../../lib/chart/sync-order';
import { requiredSecrets } from '../../lib/config/secrets';
import { findViolations } from '../../lib/synth/validate';
import { CONTRACT, containers, DEMO, externalDatabase, find, objectsOf, ofKind, podTemplate, PRODUCTION, readmeSecrets, variant, withController } from '../helpers';

const BACKEND_IMAGE = (env: Environment) => `${BACKEND.repository}:${env.backend.tag}`;
const REGISTERED = ENVIRONMENTS.map((env) => [env.namespace, env] as const);
// The cluster runs Traefik; nginx stays a choice, rendered from each registered environment.
const NGINX = ENVIRONMENTS.map((env) => [`${env.namespace} on nginx`, withController(env, 'nginx')] as const);

describe.each(REGISTERED)('%s', (_name, env) => {
  const objects = objectsOf(env);
  const backend = find(objects, 'Deployment', BACKEND.name).spec.template.spec;

  test('a migration Job per release runs `migrate` with the backend image, settings and Secrets, as an Argo CD Sync hook in the wave after its prerequisites', () => {
    const [job] = ofKind(objects, 'Job');
    const slug = env.backend.tag.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    expect(job.metadata.name).toMatch(new RegExp(`^${JOBS.migrate}-${slug}-[0-9a-f]{8}$`));
    // The order itself is tested with Argo CD's engine (test/argocd-sync.test.ts).
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'argocd.argoproj.io/sync-wave': String(WAVES.migrate),
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

  test('deleting its Application or a prune leaves the namespace and every claim of data', () => {
    // Argo CD's sync options: Prune=false keeps an object out of a prune, Delete=false out of the Application's
    // deletion (the prune itself is tested with Argo CD's engine, test/argocd-sync.test.ts). The database's claim
    // is the StatefulSet's, which it keeps when deleted (below); no Application ever tracks it.
    const kept = [...ofKind(objects, 'Namespace'), ...ofKind(objects, 'PersistentVolumeClaim')];
    expect(kept.map((o) => o.kind).sort()).toEqual(['Namespace', 'PersistentVolumeClaim']);
    for (const o of kept) expect(o.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
    expect(find(objects, 'StatefulSet', DATABASE.name).spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe('Retain');
  });

  test('new backend pods wait until the migrations of their image have run', () => {
    const [wait] = backend.initContainers;
    expect(wait.name).toBe('wait-for-migrations');
    expect(wait.image).toBe(BACKEND_IMAGE(env));
    expect(wait.command).toEqual(['sh', '-c', expect.stringMatching(/^until python manage\.py migrate --check; do .*sleep 5; done$/)]);
    expect(wait.envFrom).toEqual(backend.containers[0].envFrom);
  });

  test('the search index is rebuilt on the configured schedule, one run at a time, bounded', () => {
    const cron = find(objects, 'CronJob', JOBS.updateIndex);
    expect(cron.spec).toMatchObject({
      schedule: env.jobs.updateIndex.schedule, timeZone: env.jobs.updateIndex.timeZone, concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
    });
    const job = cron.spec.jobTemplate.spec;
    expect(job.activeDeadlineSeconds).toBe(3600);
    const [c] = job.template.spec.containers;
    expect(c.command).toEqual(['python', 'manage.py', 'update_index']);
    expect(c.image).toBe(BACKEND_IMAGE(env));
    expect(c.resources).toEqual(backend.containers[0].resources);
  });

  test('the scheduled restart exists exactly where the environment asks for it', () => {
    const restart = env.jobs.restartBackend;
    expect(ofKind(objects, 'CronJob').some((c) => c.metadata.name === JOBS.restart)).toBe(restart !== undefined);
    expect(ofKind(objects, 'Role').map((r) => r.metadata.name)).toEqual(restart ? [JOBS.restart] : []);
    if (!restart) return;
    const cron = find(objects, 'CronJob', JOBS.restart);
    expect(cron.spec).toMatchObject({ schedule: restart.schedule, timeZone: restart.timeZone, concurrencyPolicy: 'Forbid' });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe(JOBS.restart);
    expect(pod.automountServiceAccountToken).toBe(true);
    const [c] = pod.containers;
    expect(c.image).toBe(restart.kubectlImage);
    expect(c.command).toEqual(['kubectl', 'rollout', 'restart', `deployment/${BACKEND.name}`, '--namespace', env.namespace]);
  });
});

describe.each(NGINX)('the nginx Ingress of %s', (_name, env) => {
  test('redirects to HTTPS, takes large uploads, rate-limits as configured, and gets its certificate as configured', () => {
    const { tls, maxBodySize, rateLimit } = env.ingress;
    const ingress = find(objectsOf(env), 'Ingress', INGRESS_NAME);
    expect(ingress.metadata.annotations).toEqual({
      ...(tls.mode === 'cert-manager' ? { 'cert-manager.io/cluster-issuer': tls.clusterIssuer } : {}),
      ...(tls.mode === 'off' ? {} : { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true', 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' }),
      'nginx.ingress.kubernetes.io/proxy-body-size': maxBodySize,
      ...(rateLimit ? { 'nginx.ingress.kubernetes.io/limit-rps': String(rateLimit.average), 'nginx.ingress.kubernetes.io/limit-burst-multiplier': expect.stringMatching(/^[1-9]\d*$/) } : {}),
    });
  });
});

test('the restart job may get and patch the ov-wag Deployment and nothing else', () => {
  const objects = objectsOf(PRODUCTION);
  expect(find(objects, 'Role', JOBS.restart).rules).toEqual([
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [BACKEND.name], verbs: ['get', 'patch'] },
  ]);
  const binding = find(objects, 'RoleBinding', JOBS.restart);
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: JOBS.restart });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: JOBS.restart, namespace: PRODUCTION.namespace }]);
  const tokenMounters = objects
    .flatMap((o) => [o.spec?.template?.spec, o.spec?.jobTemplate?.spec?.template?.spec])
    .filter((spec) => spec?.automountServiceAccountToken === true);
  expect(tokenMounters).toHaveLength(1);
});

describe('migration Job names', () => {
  const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [] } };
  const slug = (name: string) => name.replace(/-[0-9a-f]{8}$/, '');

  test('follow the tag, as a DNS label, and a digest of the template', () => {
    expect(slug(migrationJobName('v1.1.0', template))).toBe(`${JOBS.migrate}-v1-1-0`);
    expect(slug(migrationJobName('pr-195', template))).toBe(`${JOBS.migrate}-pr-195`);
    expect(slug(migrationJobName('Release_2.0', template))).toBe(`${JOBS.migrate}-release-2-0`);
  });

  test('are cut to 63 characters, and two long tags never share a name', () => {
    const a = migrationJobName(`${'v'.repeat(100)}.1`, template);
    const b = migrationJobName(`${'v'.repeat(100)}.2`, template);
    for (const name of [a, b]) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(a).not.toBe(b);
    expect(migrationJobName(`${'v'.repeat(100)}.1`, template)).toBe(a);
  });

  test('change with the backend tag and with anything in the template, so `kubectl apply` of any change creates a new Job', () => {
    const tag = DEMO.backend.tag === 'main' ? 'v1.1.2' : 'main';
    const next = variant(DEMO, { backend: { ...DEMO.backend, tag } });
    const [job] = ofKind(objectsOf(next), 'Job');
    const [current] = ofKind(objectsOf(DEMO), 'Job');
    expect(job.metadata.name).not.toBe(current.metadata.name);
    const requests = variant(DEMO, { backend: { ...DEMO.backend, resources: { ...DEMO.backend.resources, requests: { ...DEMO.backend.resources.requests, cpu: '77m' } } } });
    expect(ofKind(objectsOf(requests), 'Job')[0].metadata.name).not.toBe(current.metadata.name);
    expect(migrationJobName(DEMO.backend.tag, template)).not.toBe(migrationJobName(DEMO.backend.tag, { ...template, metadata: {} }));
  });
});

describe('TLS and routing per environment', () => {
  test('an existing TLS Secret: no issuer annotation, the Secret named on the host', () => {
    const nginx = withController(DEMO, 'nginx');
    const env = variant(nginx, { ingress: { ...nginx.ingress, tls: { mode: 'secret', secretName: 'wildcard-tls' } } });
    const ingress = find(objectsOf(env), 'Ingress', INGRESS_NAME);
    expect(ingress.spec.tls).toEqual([{ hosts: [DEMO.host], secretName: 'wildcard-tls' }]);
    expect(ingress.metadata.annotations!['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/ssl-redirect']).toBe('true');
  });

  test('TLS off: no tls section, no redirect, and http URLs and insecure cookies in the settings', () => {
    const nginx = withController(DEMO, 'nginx');
    const env = variant(nginx, { ingress: { ...nginx.ingress, tls: { mode: 'off' }, maxBodySize: '20m' } });
    const objects = objectsOf(env);
    const ingress = find(objects, 'Ingress', INGRESS_NAME);
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.metadata.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/proxy-body-size': '20m' });
    expect(Object.keys(ingress.metadata.annotations!).filter((k) => /ssl-redirect|cert-manager/.test(k))).toEqual([]);
    const data = find(objects, 'ConfigMap', BACKEND.name).data;
    expect(data.OV_BASE_URL).toBe(`http://${DEMO.host}`);
    expect(data.OV_CSRF_COOKIE_SECURE).toBe('false');
    expect(data.OV_SESSION_COOKIE_SECURE).toBe('false');
  });

  test('a separate admin host serves only the backend paths, with its own certificate, and the backend trusts it', () => {
    const adminHost = `admin.${PRODUCTION.host}`;
    const env = variant(PRODUCTION, { ingress: { ...PRODUCTION.ingress, adminHost } });
    const objects = objectsOf(env);
    const admin = find(objects, 'Ingress', `${INGRESS_NAME}-admin`);
    expect(admin.spec.ingressClassName).toBe(PRODUCTION.ingress.controller.className);
    expect(admin.spec.rules.map((r: any) => r.host)).toEqual([adminHost]);
    expect(admin.spec.rules[0].http.paths.map((p: any) => [p.path, p.backend.service.name])).toEqual(BACKEND_PATHS.map((p) => [p, BACKEND.name]));
    // README, Operating: cert-manager gives each host `<host>-tls`.
    expect(admin.spec.tls).toEqual([{ hosts: [adminHost], secretName: `${adminHost.replace(/\./g, '-')}-tls` }]);
    const data = find(objects, 'ConfigMap', BACKEND.name).data;
    expect(data.OV_ADMIN_BASE_URL).toBe(`https://${adminHost}`);
    expect(data.OV_ALLOWED_HOSTS.split(',')).toContain(adminHost);
    expect(data.OV_TRUSTED_ORIGINS).toBe(`https://${PRODUCTION.host},https://${adminHost}`);
    expect(findViolations(objects)).toEqual([]);
  });
});

describe('an external database', () => {
  // Secrets by hand, as the README's table lists them (which has no banner id).
  const env = variant(externalDatabase(PRODUCTION), { externalSecrets: undefined, site: { ...PRODUCTION.site, cookieConsent: false } });
  const objects = objectsOf(env);
  if (env.database.mode !== 'external') throw new Error('not an external database');
  const db = env.database;

  test('emits no StatefulSet, no db Service, no backup and no db policy', () => {
    expect(objects.filter((o) => o.metadata.name === DATABASE.name)).toEqual([]);
    expect(ofKind(objects, 'StatefulSet')).toEqual([]);
    expect(ofKind(objects, 'PersistentVolumeClaim')).toEqual([]);
    expect(ofKind(objects, 'CronJob').map((c) => c.metadata.name).filter((n) => Object.values<string>(BACKUP).includes(n))).toEqual([]);
    expect(findViolations(objects)).toEqual([]);
  });

  test('points the backend and the jobs at it, with its password Secret', () => {
    const data = find(objects, 'ConfigMap', BACKEND.name).data;
    expect([data.OV_DB_HOST, data.OV_DB_PORT]).toEqual([db.host, String(db.port)]);
    const jobs = [...ofKind(objects, 'Job'), find(objects, 'CronJob', JOBS.updateIndex)];
    const pods = [find(objects, 'Deployment', BACKEND.name), ...jobs].map((w) => podTemplate(w).spec);
    for (const pod of pods) {
      for (const c of containers(pod)) {
        expect(c.envFrom).toEqual([{ configMapRef: { name: BACKEND.name } }]);
        expect(c.env).toContainEqual({ name: 'OV_DB_PASSWORD', valueFrom: { secretKeyRef: db.password } });
      }
    }
    // The README's catalogue, with the database's own Secret in place of `ov-db`.
    const expected = [...readmeSecrets().filter((s) => s.name !== 'ov-db'), { name: db.password!.name, keys: [db.password!.key] }];
    expect(requiredSecrets(env)).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)));
  });

  test('outside the cluster: the policies allow its CIDR on its port', () => {
    const outside = variant(env, { database: { ...db, host: 'db.example.org', port: 6432, peer: { cidr: '192.0.2.0/24' } } });
    const policy = find(objectsOf(outside), 'NetworkPolicy', BACKEND.name);
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ protocol: 'TCP', port: 6432 }] });
    // README, Operating: only a database whose pods are in the namespace gets the `external-db` policy.
    expect(ofKind(objectsOf(outside), 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('external-db');
    expect(ofKind(objects, 'NetworkPolicy').map((p) => p.metadata.name)).toContain('external-db');
  });
});

describe('postgres', () => {
  const sts = find(objectsOf(PRODUCTION), 'StatefulSet', DATABASE.name);
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
    expect(pg.readinessProbe.exec.command).toEqual(['sh', '-c', expect.stringContaining(`pg_isready -h 127.0.0.1 -p ${CONTRACT.database.port} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`)]);
    expect(pg.livenessProbe.tcpSocket).toEqual({ port: 'postgres' });
    expect(pg.livenessProbe.periodSeconds * pg.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(120);
    expect(pg.startupProbe.periodSeconds * pg.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('takes its storage class and size from the environment', () => {
    if (DEMO.database.mode !== 'statefulset') throw new Error('the demo runs its own database');
    const env = variant(DEMO, { database: { ...DEMO.database, storageClassName: 'gp3', storage: '8Gi' } });
    const [claim] = find(objectsOf(env), 'StatefulSet', DATABASE.name).spec.volumeClaimTemplates;
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '8Gi' } } });
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  });
});
