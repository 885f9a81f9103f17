/** The OpenVault chart: what each namespace's manifest contains, and that its objects fit together. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../lib/config/types';
import { environmentFor, NAMESPACES, previewEnvironment } from '../../lib/config/environments';
import { OpenVault } from '../../lib/chart/open-vault';
import { renderEnvironment } from '../../lib/synth/render';
import { ApiObject, App, JsonPatch } from 'cdk8s';
import { containers, DEMO, find, matches, objectsOf, ofKind, podTemplate, PRODUCTION, variant, workloads } from '../helpers';

const CASES = [
  ['ov', PRODUCTION],
  ['ov-demo', DEMO],
] as const;

/** Everything both namespaces have. */
const COMMON = [
  'Namespace/',
  'Service/db', 'ServiceAccount/db', 'StatefulSet/db',
  'ConfigMap/ov-wag', 'ServiceAccount/ov-wag', 'Deployment/ov-wag', 'Service/ov-wag',
  'ServiceAccount/ov-wag-migrate', 'Job/ov-wag-migrate-v1-1-0',
  'ServiceAccount/ov-wag-update-index', 'CronJob/ov-wag-update-index',
  'ConfigMap/ov-frontend', 'ServiceAccount/ov-frontend', 'Deployment/ov-frontend', 'Service/ov-frontend',
  'Ingress/open-vault',
  'NetworkPolicy/default-deny', 'NetworkPolicy/ov-frontend', 'NetworkPolicy/ov-wag',
  'NetworkPolicy/ov-wag-migrate', 'NetworkPolicy/ov-wag-update-index', 'NetworkPolicy/db',
];
const EXPECTED: Record<string, string[]> = {
  ov: [
    ...COMMON,
    'ExternalSecret/ov-db', 'ExternalSecret/ov-frontend', 'ExternalSecret/ov-wag',
    'PodDisruptionBudget/ov-wag', 'PodDisruptionBudget/ov-frontend',
    'ServiceAccount/ov-wag-restart', 'Role/ov-wag-restart', 'RoleBinding/ov-wag-restart', 'CronJob/ov-wag-restart',
    'NetworkPolicy/ov-wag-restart',
  ],
  'ov-demo': COMMON,
};

describe.each(CASES)('namespace %s', (namespace, env) => {
  const objects = objectsOf(env);

  test('holds exactly the expected kinds and names', () => {
    const actual = objects.map((o) => `${o.kind}/${o.kind === 'Namespace' ? '' : o.metadata.name}`).sort();
    expect(actual).toEqual([...EXPECTED[namespace]].sort());
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
      expect(labels['app.kubernetes.io/part-of']).toBe('open-vault');
      expect(labels['app.kubernetes.io/instance']).toBe(namespace);
    }
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

  test('the Ingress routes / to ov-frontend and the CMS paths to ov-wag, on Service ports that exist', () => {
    const ingress = find(objects, 'Ingress', 'open-vault');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    const [rule] = ingress.spec.rules;
    expect(rule.host).toBe(env.host);
    const routes = Object.fromEntries(rule.http.paths.map((p: any) => [p.path, p.backend.service.name]));
    expect(routes).toEqual({
      '/': 'ov-frontend', '/admin': 'ov-wag', '/accounts': 'ov-wag', '/authorize': 'ov-wag', '/login': 'ov-wag', '/logout': 'ov-wag',
    });
    for (const p of rule.http.paths) {
      const svc = find(objects, 'Service', p.backend.service.name);
      expect(svc.spec.ports.map((sp: any) => sp.port)).toContain(p.backend.service.port.number);
    }
    expect(ingress.spec.tls).toEqual([{ hosts: [env.host], secretName: `${env.host.replace(/\./g, '-')}-tls` }]);
  });

  test('probes check the documented health paths on the serving port', () => {
    const expected = { 'ov-frontend': ['/health', 3000], 'ov-wag': ['/api/v2/health/', 8000] } as const;
    for (const [name, [probePath, port]] of Object.entries(expected)) {
      const [c] = find(objects, 'Deployment', name).spec.template.spec.containers;
      const http = c.ports.find((p: any) => p.name === 'http');
      expect(http.containerPort).toBe(port);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect(c[probe].httpGet).toMatchObject({ path: probePath, port: 'http' });
      }
    }
    const pg = find(objects, 'StatefulSet', 'db').spec.template.spec.containers[0];
    expect(pg.readinessProbe.exec.command.join(' ')).toContain('pg_isready');
  });

  test('images carry the configured tags', () => {
    const images = workloads(objects).flatMap((w) => containers(podTemplate(w).spec).map((c: any) => c.image));
    expect(new Set(images)).toEqual(new Set([
      `ghcr.io/wgbh-mla/ov-frontend:${env.frontend.tag}`,
      `ghcr.io/wgbh-mla/ov-wag:${env.backend.tag}`,
      'postgres:16-alpine',
      ...(env.jobs.restartBackend ? [env.jobs.restartBackend.kubectlImage] : []),
    ]));
    expect(find(objects, 'Deployment', 'ov-frontend').spec.replicas).toBe(env.frontend.replicas);
    expect(find(objects, 'Deployment', 'ov-wag').spec.replicas).toBe(env.backend.replicas);
  });

  test('the StatefulSet is served by the headless db Service, which the backend uses, with its data on the claim', () => {
    const sts = find(objects, 'StatefulSet', 'db');
    expect(sts.spec.serviceName).toBe('db');
    expect(find(objects, 'Service', 'db').spec.clusterIP).toBe('None');
    expect(find(objects, 'ConfigMap', 'ov-wag').data.OV_DB_HOST).toBe('db');
    const [pg] = sts.spec.template.spec.containers;
    expect(pg.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(pg.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    const [claim] = sts.spec.volumeClaimTemplates;
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec.resources.requests.storage).toBe(env.database.mode === 'statefulset' && env.database.storage);
  });

  test('settings derive from the host, so they agree with the Ingress', () => {
    const data = find(objects, 'ConfigMap', 'ov-wag').data;
    expect(data.OV_BASE_URL).toBe(`https://${env.host}`);
    expect(data.OV_ALLOWED_HOSTS.split(',')).toEqual(expect.arrayContaining([env.host, 'ov-wag']));
    expect(data.OV_TRUSTED_ORIGINS).toBe(`https://${env.host}`);
    expect(data.OV_PREVIEW_URL).toBe(`https://${env.host}/preview`);
    expect(find(objects, 'ConfigMap', 'ov-frontend').data.OV_API_URL).toBe('http://ov-wag');
  });
});

test('production and demo differ where the registry says they do', () => {
  expect(PRODUCTION.host).toBe('openvault.wgbh.org');
  expect([PRODUCTION.frontend.replicas, PRODUCTION.backend.replicas]).toEqual([2, 2]);
  expect([DEMO.frontend.replicas, DEMO.backend.replicas]).toEqual([1, 1]);
  expect(DEMO.host).not.toBe(PRODUCTION.host);
  const size = (e: typeof PRODUCTION) => (e.database.mode === 'statefulset' ? parseInt(e.database.storage, 10) : 0);
  expect(size(DEMO)).toBeLessThan(size(PRODUCTION));
});

test('an unknown namespace is rejected with the valid ones listed', () => {
  expect(() => environmentFor('staging')).toThrow(ConfigError);
  expect(() => environmentFor('staging')).toThrow('unknown namespace "staging": valid namespaces are ov, ov-demo');
  expect(NAMESPACES).toEqual(['ov', 'ov-demo']);
});

test('the chart takes any valid environment, and refuses an invalid one', () => {
  const preview = objectsOf(previewEnvironment(7));
  expect(preview[0].metadata.name).toBe('ov-pr-7');
  expect(find(preview, 'Deployment', 'ov-wag').spec.template.spec.containers[0].image).toBe('ghcr.io/wgbh-mla/ov-wag:pr-7');
  const bad = variant(DEMO, { namespace: 'Not A Namespace', frontend: { ...DEMO.frontend, replicas: 0 } });
  expect(() => new OpenVault(new App(), 'bad', { env: bad })).toThrow(/namespace "Not A Namespace" must be a DNS label/);
  expect(() => new OpenVault(new App(), 'bad', { env: bad })).toThrow(/frontend.replicas 0 must be a whole number from 1 to 50/);
});

test('labels and annotations added through cdk8s metadata, and JSON patches, are rendered', () => {
  const chart = new OpenVault(new App(), 'ov-demo', { env: DEMO });
  const deployment = chart.node.findAll().filter(ApiObject.isApiObject).find((o) => o.kind === 'Deployment' && o.name === 'ov-wag')!;
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

test('importing lib/ writes no files', () => {
  const dist = path.join(__dirname, '..', '..', 'dist');
  const before = fs.readdirSync(dist, { recursive: true }).map(String).sort();
  renderEnvironment(DEMO);
  expect(fs.readdirSync(dist, { recursive: true }).map(String).sort()).toEqual(before);
});
