/** The OpenVault chart: what each namespace's manifest contains, and that its objects fit together. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, environmentProblems, Environment, WebTierConfig } from '../../lib/config/types';
import { isCidr } from '../../lib/config/rules';
import { ENVIRONMENTS, environmentFor, NAMESPACES, previewFor } from '../../lib/config/environments';
import { BACKEND, BACKEND_PATHS, DATABASE, FRONTEND, JOBS, serviceUrl } from '../../lib/config/images';
import { GENERATED_SECRET_KEY, requiredSecrets } from '../../lib/config/secrets';
import { BACKUP } from '../../lib/chart/backup';
import { INGRESS_NAME, tlsSecretName } from '../../lib/chart/ingress';
import { PART_OF } from '../../lib/chart/labels';
import { OpenVault } from '../../lib/chart/open-vault';
import { renderEnvironment } from '../../lib/synth/render';
import { ApiObject, App, JsonPatch } from 'cdk8s';
import {
  CONTRACT, containers, DEMO, escapeRegExp, find, matches, objectsOf, ofKind, podTemplate, PRODUCTION, readmeBackendPaths, readmeSection,
  variant, workloads,
} from '../helpers';

const CASES = ENVIRONMENTS.map((env) => [env.namespace, env] as const);

/** The fewest pods of a tier: its fixed count, or its autoscaler's minimum. */
const fewest = (tier: WebTierConfig) => tier.autoscale?.min ?? tier.replicas ?? 1;

/**
 * The objects the chart emits for a registered environment, by the rules it follows: every tier its
 * ConfigMap, account, Deployment, Service and policy, an autoscaler when it scales, a disruption budget
 * when it never runs alone; the database and its backups unless external; one ExternalSecret per
 * required Secret with a store; an Ingress per host; the restart job only where it is asked for.
 */
function expectedObjects(env: Environment): string[] {
  const web = (name: string, tier: WebTierConfig) => [
    `ConfigMap/${name}`, `ServiceAccount/${name}`, `Deployment/${name}`, `Service/${name}`, `NetworkPolicy/${name}`,
    ...(tier.autoscale ? [`HorizontalPodAutoscaler/${name}`] : []),
    ...(fewest(tier) > 1 ? [`PodDisruptionBudget/${name}`] : []),
  ];
  const job = (name: string, kind: string, objectName = name) => [`ServiceAccount/${name}`, `${kind}/${objectName}`, `NetworkPolicy/${name}`];
  const db = env.database;
  const traefik = env.ingress.controller.kind === 'traefik';
  return [
    'Namespace/',
    ...(db.mode === 'statefulset'
      ? [
        `Service/${DATABASE.name}`, ...job(DATABASE.name, 'StatefulSet'),
        ...(db.backup ? [`PersistentVolumeClaim/${BACKUP.backup}`, ...job(BACKUP.backup, 'CronJob'), ...job(BACKUP.restore, 'CronJob')] : []),
      ]
      : []),
    ...web(BACKEND.name, env.backend),
    ...web(FRONTEND.name, env.frontend),
    ...job(JOBS.migrate, 'Job', ofKind(objectsOf(env), 'Job').map((j) => j.metadata.name).find((n) => n.startsWith(`${JOBS.migrate}-`))),
    ...job(JOBS.updateIndex, 'CronJob'),
    ...(env.jobs.restartBackend ? [...job(JOBS.restart, 'CronJob'), `Role/${JOBS.restart}`, `RoleBinding/${JOBS.restart}`] : []),
    ...(env.externalSecrets ? [...requiredSecrets(env).map((s) => `ExternalSecret/${s.name}`), `Password/${GENERATED_SECRET_KEY.name}`] : []),
    `Ingress/${INGRESS_NAME}`,
    ...(env.ingress.adminHost ? [`Ingress/${INGRESS_NAME}-admin`] : []),
    ...(traefik
      ? [
        ...(env.ingress.tls.mode === 'off' ? [] : ['Middleware/redirect-https']), 'Middleware/upload-limit',
        ...(env.ingress.rateLimit ? ['Middleware/rate-limit'] : []),
      ]
      : []),
    // lib/chart/network.ts names it; no constant is exported.
    'NetworkPolicy/default-deny',
  ].sort();
}

describe.each(CASES)('namespace %s', (namespace, env) => {
  const objects = objectsOf(env);

  test('holds exactly the expected kinds and names', () => {
    const actual = objects.map((o) => `${o.kind}/${o.kind === 'Namespace' ? '' : o.metadata.name}`).sort();
    expect(actual).toEqual(expectedObjects(env));
  });

  test('starts with its Namespace, and every other object is in it', () => {
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: namespace } });
    expect(objects[0].metadata.namespace).toBeUndefined();
    for (const o of objects.slice(1)) expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in ${namespace}`);
  });

  test('every object carries the recommended labels, and no name or label has a generated hash', () => {
    for (const o of objects) {
      const labels = o.metadata.labels ?? {};
      expect(Object.keys(labels).sort()).toEqual(expect.arrayContaining([
        'app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by',
        'app.kubernetes.io/name', 'app.kubernetes.io/part-of',
      ]));
      expect(labels['app.kubernetes.io/part-of']).toBe(PART_OF);
      expect(labels['app.kubernetes.io/instance']).toBe(namespace);
    }
    for (const w of workloads(objects)) expect(podTemplate(w).metadata.labels['app.kubernetes.io/instance']).toBe(namespace);
    const text = JSON.stringify(objects);
    expect(text).not.toContain('cdk8s.io/metadata.addr');
    // cdk8s' generated names end in `-c8` and six hex digits.
    expect(text).not.toMatch(/-c8[0-9a-f]{6}\b/);
  });

  test('workload selectors use only name and instance, and match their pod labels', () => {
    for (const w of ofKind(objects, 'Deployment').concat(ofKind(objects, 'StatefulSet'))) {
      const selector = w.spec.selector.matchLabels;
      expect(selector).toEqual({ 'app.kubernetes.io/name': w.metadata.name, 'app.kubernetes.io/instance': namespace });
      expect(matches(selector, w.spec.template.metadata.labels)).toBe(true);
    }
  });

  test('each Service selects a workload and targets a named container port of it', () => {
    for (const svc of ofKind(objects, 'Service')) {
      const selected = workloads(objects).filter((w) => matches(svc.spec.selector, podTemplate(w).metadata.labels));
      expect(selected.map((w) => w.metadata.name)).toEqual([svc.metadata.name]);
      const ports = selected[0].spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        expect(typeof p.targetPort).toBe('string');
        expect(ports.map((cp: any) => cp.name)).toContain(p.targetPort);
      }
    }
  });

  test('the Ingress routes / to the frontend and the backend paths to the backend, on Service ports that exist', () => {
    const ingress = find(objects, 'Ingress', INGRESS_NAME);
    expect(ingress.spec.ingressClassName).toBe(env.ingress.controller.className);
    const [rule] = ingress.spec.rules;
    expect(rule.host).toBe(env.host);
    const routes = Object.fromEntries(rule.http.paths.map((p: any) => [p.path, p.backend.service.name]));
    expect(routes).toEqual({ '/': FRONTEND.name, ...Object.fromEntries(BACKEND_PATHS.map((p) => [p, BACKEND.name])) });
    for (const p of rule.http.paths) {
      const svc = find(objects, 'Service', p.backend.service.name);
      expect(svc.spec.ports.map((sp: any) => sp.port)).toContain(p.backend.service.port.number);
    }
    const tls = env.ingress.tls;
    expect(ingress.spec.tls).toEqual(tls.mode === 'off' ? undefined : [{ hosts: [env.host], secretName: tlsSecretName(tls, env.host) }]);
  });

  test('probes check the health paths the images serve (liveness: that the port accepts connections), on the port they listen on', () => {
    const expected: [string, { port: number; healthPath: string }][] = [[FRONTEND.name, CONTRACT.frontend], [BACKEND.name, CONTRACT.backend]];
    for (const [name, { healthPath, port }] of expected) {
      const [c] = find(objects, 'Deployment', name).spec.template.spec.containers;
      const http = c.ports.find((p: any) => p.name === 'http');
      expect(http.containerPort).toBe(port);
      for (const probe of ['startupProbe', 'readinessProbe']) {
        expect(c[probe].httpGet).toMatchObject({ path: healthPath, port: 'http' });
      }
      expect(c.livenessProbe.tcpSocket).toEqual({ port: 'http' });
    }
    const pg = find(objects, 'StatefulSet', DATABASE.name).spec.template.spec.containers[0];
    expect(pg.ports).toEqual([expect.objectContaining({ containerPort: CONTRACT.database.port })]);
    expect(pg.readinessProbe.exec.command.join(' ')).toContain('pg_isready');
  });

  test('images carry the configured tags; fixed tiers the configured replicas, autoscaled ones their bounds', () => {
    const images = workloads(objects).flatMap((w) => containers(podTemplate(w).spec).map((c: any) => c.image));
    expect(new Set(images)).toEqual(new Set([
      `${FRONTEND.repository}:${env.frontend.tag}`,
      `${BACKEND.repository}:${env.backend.tag}`,
      `${DATABASE.repository}:${DATABASE.tag}`,
      ...(env.jobs.restartBackend ? [env.jobs.restartBackend.kubectlImage] : []),
    ]));
    for (const [name, tier] of [[FRONTEND.name, env.frontend], [BACKEND.name, env.backend]] as const) {
      expect(find(objects, 'Deployment', name).spec.replicas).toBe(tier.autoscale ? undefined : tier.replicas);
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name);
      expect(hpa?.spec).toEqual(tier.autoscale && expect.objectContaining({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: tier.autoscale.min, maxReplicas: tier.autoscale.max,
      }));
    }
  });

  test('the StatefulSet is served by the headless db Service, which the backend uses, with its data on the claim', () => {
    const sts = find(objects, 'StatefulSet', DATABASE.name);
    expect(sts.spec.serviceName).toBe(DATABASE.name);
    expect(find(objects, 'Service', DATABASE.name).spec.clusterIP).toBe('None');
    expect(find(objects, 'ConfigMap', BACKEND.name).data.OV_DB_HOST).toBe(DATABASE.name);
    const [pg] = sts.spec.template.spec.containers;
    // The data directory of the postgres image.
    expect(pg.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(pg.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec.resources.requests.storage).toBe(env.database.mode === 'statefulset' && env.database.storage);
  });

  test('settings derive from the host, so they agree with the Ingress', () => {
    const data = find(objects, 'ConfigMap', BACKEND.name).data;
    const url = `${env.ingress.tls.mode === 'off' ? 'http' : 'https'}://${env.host}`;
    expect(data.OV_BASE_URL).toBe(url);
    expect(data.OV_ALLOWED_HOSTS.split(',')).toEqual(expect.arrayContaining([env.host, BACKEND.name]));
    expect(data.OV_TRUSTED_ORIGINS).toBe(url);
    expect(data.OV_PREVIEW_URL).toBe(`${url}/preview`);
    expect(find(objects, 'ConfigMap', FRONTEND.name).data.OV_API_URL).toBe(serviceUrl(BACKEND.name));
    expect(serviceUrl(BACKEND.name)).toBe(`http://${BACKEND.name}`);
  });
});

describe('the registry', () => {
  // No namespace or host twice, and every environment valid: loadRegistry refuses anything else at import (test/config/registry.ts).
  test('holds the seed namespaces, production on the public host', () => {
    expect(NAMESPACES).toEqual(expect.arrayContaining([...CONTRACT.namespaces]));
    expect(environmentFor(CONTRACT.namespaces[0])).toBe(PRODUCTION);
    expect(PRODUCTION).toMatchObject({ stage: 'production', host: CONTRACT.productionHost });
  });

  test('an unknown namespace is rejected with the valid ones listed', () => {
    expect(() => environmentFor('no-such-namespace')).toThrow(ConfigError);
    expect(() => environmentFor('no-such-namespace')).toThrow(`unknown namespace "no-such-namespace": valid namespaces are ${NAMESPACES.join(', ')}`);
  });

  test('the backend serves the public paths of README, Configuration, and the proxy sends it those alone', () => {
    expect([...BACKEND_PATHS]).toEqual(readmeBackendPaths());
    expect(BACKEND_PATHS).not.toContain('/');
  });
});

describe('the chart follows the environment, not the registry', () => {
  if (DEMO.database.mode !== 'statefulset') throw new Error('the demo runs its own database');
  const fixed = variant(DEMO, {
    frontend: { ...DEMO.frontend, autoscale: undefined, replicas: 3, tag: 'pr-1001' },
    backend: { ...DEMO.backend, autoscale: undefined, replicas: 1, tag: 'pr-1002' },
    database: { ...DEMO.database, storage: '7Gi' },
  });

  test('fixed replicas, storage and tags; a disruption budget only for a tier that never runs alone', () => {
    const objects = objectsOf(fixed);
    expect(find(objects, 'Deployment', FRONTEND.name).spec.replicas).toBe(3);
    expect(find(objects, 'Deployment', BACKEND.name).spec.replicas).toBe(1);
    expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).toEqual([FRONTEND.name]);
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(find(objects, 'StatefulSet', DATABASE.name).spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('7Gi');
    expect(find(objects, 'Deployment', FRONTEND.name).spec.template.spec.containers[0].image).toBe(`${FRONTEND.repository}:pr-1001`);
    expect(ofKind(objects, 'Job').map((j) => j.metadata.name)).toEqual([expect.stringMatching(new RegExp(`^${JOBS.migrate}-pr-1002-[0-9a-f]{8}$`))]);
  });

  test('an autoscaled tier: no replicas in its Deployment, an autoscaler on it, a budget when its minimum is more than one', () => {
    const objects = objectsOf(variant(fixed, {
      frontend: { ...fixed.frontend, replicas: undefined, autoscale: { min: 1, max: 3, cpuUtilization: 60 } },
      backend: { ...fixed.backend, replicas: undefined, autoscale: { min: 2, max: 5, cpuUtilization: 80 } },
    }));
    for (const name of [FRONTEND.name, BACKEND.name]) expect(find(objects, 'Deployment', name).spec.replicas).toBeUndefined();
    expect(ofKind(objects, 'HorizontalPodAutoscaler').map((h) => [h.metadata.name, h.spec.minReplicas, h.spec.maxReplicas])).toEqual([
      [BACKEND.name, 2, 5], [FRONTEND.name, 1, 3],
    ]);
    expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).toEqual([BACKEND.name]);
  });
});

test('the chart takes any valid environment, and refuses an invalid one', () => {
  // README, Operating: a preview `<repo>-pr-<n>` runs `pr-<n>` for its repository's tier and the demo's image for the other.
  const preview = objectsOf(previewFor({ repo: 'ov-wag', number: 7 }));
  const image = (name: string) => preview.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === name)!.spec.template.spec.containers[0].image;
  expect(image(BACKEND.name)).toBe(`${BACKEND.repository}:pr-7`);
  expect(image(FRONTEND.name)).toBe(`${FRONTEND.repository}:${DEMO.frontend.tag}`);
  const bad = variant(DEMO, { namespace: 'Not A Namespace', frontend: { ...DEMO.frontend, autoscale: undefined, replicas: 0 } });
  expect(() => new OpenVault(new App(), 'bad', { env: bad })).toThrow(ConfigError);
  expect(() => new OpenVault(new App(), 'bad', { env: bad })).toThrow(/namespace "Not A Namespace": must be a DNS label/);
  expect(() => new OpenVault(new App(), 'bad', { env: bad })).toThrow(/frontend\.replicas 0: /);
});

describe('environment checks', () => {
  /**
   * The most pods of a tier, as README, Configuration, documents it ("replicas (1 to 50)"); should the
   * README stop saying so, 50, the maximum the project settled on.
   */
  const documented = /replicas[^\n]*?\b1 to (\d+)/i.exec(readmeSection('Configuration'));
  const MAX_REPLICAS = documented ? Number(documented[1]) : 50;
  const fixed = <T extends WebTierConfig>(tier: T, replicas: number) => ({ ...tier, autoscale: undefined, replicas });
  const scaled = <T extends WebTierConfig>(tier: T, min: number, max: number) => ({ ...tier, replicas: undefined, autoscale: { min, max, cpuUtilization: 70 } });
  const problemsOf = (patch: Partial<Environment>) => environmentProblems(variant(DEMO, patch));
  const field = (name: string, value: number) => new RegExp(`^${escapeRegExp(`${DEMO.namespace}: ${name} ${value}: `)}`);

  test.each([1, MAX_REPLICAS])('%d replicas, or an autoscaler up to as many, are accepted', (n) => {
    expect(problemsOf({ frontend: fixed(DEMO.frontend, n), backend: fixed(DEMO.backend, n) })).toEqual([]);
    expect(problemsOf({ frontend: scaled(DEMO.frontend, 1, n), backend: scaled(DEMO.backend, n, n) })).toEqual([]);
  });

  test.each([0, -1, MAX_REPLICAS + 1, 1.5])('%d replicas are refused, naming the field and the value', (n) => {
    for (const tier of ['frontend', 'backend'] as const) {
      expect(problemsOf({ [tier]: fixed(DEMO[tier], n) })).toEqual([expect.stringMatching(field(`${tier}.replicas`, n))]);
    }
  });

  test('an autoscaler beyond the maximum, or with its bounds reversed, is refused', () => {
    expect(problemsOf({ backend: scaled(DEMO.backend, 1, MAX_REPLICAS + 1) })).toEqual([expect.stringMatching(field('backend.autoscale.max', MAX_REPLICAS + 1))]);
    expect(problemsOf({ frontend: scaled(DEMO.frontend, 3, 2) })).toEqual([expect.stringMatching(field('frontend.autoscale.max', 2))]);
  });

  test.each(['0.0.0.0/0', '10.0.0.0/8', '192.0.2.1/32', '255.255.255.255/32'])('%s is a CIDR', (cidr) => {
    expect(isCidr(cidr)).toBe(true);
  });

  test.each(['0.0.0.0/33', '10.0.0.0/99', '256.0.0.0/8', '10.0.0.300/24', '10.0.0.0', '10.0.0/8', '10.0.0.0/', ' 10.0.0.0/8', '::/0'])(
    '%j is not a CIDR',
    (cidr) => {
      expect(isCidr(cidr)).toBe(false);
    },
  );

  test('a prefix longer than 32 bits is refused wherever the environment takes a CIDR, naming the field', () => {
    const restart = PRODUCTION.jobs.restartBackend!;
    const env = variant(PRODUCTION, {
      network: { egressCidrs: [{ cidr: '0.0.0.0/0', except: ['10.0.0.0/33'] }] },
      jobs: { ...PRODUCTION.jobs, restartBackend: { ...restart, apiServer: { ...restart.apiServer, cidr: '10.0.0.0/33' } } },
    });
    const at = (f: string) => expect.stringMatching(new RegExp(`^${escapeRegExp(`${PRODUCTION.namespace}: ${f} "10.0.0.0/33": `)}`));
    expect(environmentProblems(env)).toEqual(expect.arrayContaining([at('network.egressCidrs[0].except[0]'), at('jobs.restartBackend.apiServer.cidr')]));
    const outside = variant(DEMO, { database: { mode: 'external', host: 'db.example.org', port: CONTRACT.database.port, name: 'ov', user: 'ov', peer: { cidr: '192.0.2.0/33' } } });
    expect(environmentProblems(outside)).toEqual([expect.stringMatching(new RegExp(`^${escapeRegExp(`${DEMO.namespace}: database.peer.cidr "192.0.2.0/33": `)}`))]);
  });
});

test('labels and annotations added through cdk8s metadata, and JSON patches, are rendered', () => {
  const chart = new OpenVault(new App(), DEMO.namespace, { env: DEMO });
  const deployment = chart.node.findAll().filter(ApiObject.isApiObject).find((o) => o.kind === 'Deployment' && o.name === BACKEND.name)!;
  deployment.metadata.addLabel('team', 'archive');
  deployment.metadata.addAnnotation('note', 'kept');
  deployment.addJsonPatch(JsonPatch.replace('/spec/revisionHistoryLimit', 2));
  // cdk8s applies patches to the rendered object, so a patch may add a field the generated class does not know.
  deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostUsers', false));
  const json = chart.toJson().find((o: any) => o.kind === 'Deployment' && o.metadata.name === deployment.name);
  expect(json.metadata.labels.team).toBe('archive');
  expect(json.metadata.annotations).toEqual({ note: 'kept' });
  expect(json.spec.revisionHistoryLimit).toBe(2);
  expect(json.spec.template.spec.hostUsers).toBe(false);
});

test('rendering an environment writes no files: only a synth does', () => {
  const dist = path.join(__dirname, '..', '..', 'dist');
  const before = fs.readdirSync(dist, { recursive: true }).map(String).sort();
  renderEnvironment(DEMO);
  expect(fs.readdirSync(dist, { recursive: true }).map(String).sort()).toEqual(before);
});
