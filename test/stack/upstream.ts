/**
 * True to the real Open Vault: what the pinned images read and serve, each environment's own search index
 * and bucket, the ingress controller the cluster runs. The literals here are the upstream facts, each with
 * the file it was read from at the tag.
 */
import { App } from 'cdk8s';
import { OpenVault } from '../../lib/chart/open-vault';
import { CLUSTER, REGISTRY, loadRegistry } from '../../lib/config/environments';
import { BACKEND, backendRelease, DECLARED_RELEASES, frontendRelease, FRONTEND, MOVING_TAGS, pageIndex } from '../../lib/config/images';
import { ConfigError, Environment, EnvironmentInput, environmentProblems, parseEnvironment } from '../../lib/config/types';
import { findViolations } from '../../lib/synth/validate';
import { DEMO, find, ofKind, Obj, objectsOf, PRODUCTION, withController } from '../helpers';
import { allowed } from '../netpol';

const ENVS = [PRODUCTION, DEMO] as const;
const configOf = (env: Environment, name: string) => find(objectsOf(env), 'ConfigMap', name).data as Record<string, string>;
const container = (env: Environment, name: string) => find(objectsOf(env), 'Deployment', name).spec.template.spec.containers[0];

describe('releases', () => {
  test('every declared release is a version tag, and each moving tag follows one of them', () => {
    for (const tier of ['frontend', 'backend'] as const) {
      for (const tag of DECLARED_RELEASES[tier]) expect(tag).toMatch(/^v\d+\.\d+\.\d+$/);
      for (const follows of Object.values(MOVING_TAGS[tier])) expect(DECLARED_RELEASES[tier]).toContain(follows);
    }
    expect(frontendRelease('pr-1')).toBe(frontendRelease(MOVING_TAGS.frontend['pr-<n>']));
    expect(backendRelease('main')).toBe(backendRelease(MOVING_TAGS.backend.main));
  });

  test.each(ENVS)('every setting in $namespace is a variable the pinned release reads', (env) => {
    expect(Object.keys(configOf(env, FRONTEND.name)).filter((k) => !frontendRelease(env.frontend.tag).reads.includes(k))).toEqual([]);
    expect(Object.keys(configOf(env, BACKEND.name)).filter((k) => !backendRelease(env.backend.tag).reads.includes(k))).toEqual([]);
  });

  test('settings the images never read are gone', () => {
    // docker_entrypoints/deploy.sh passes fixed gunicorn arguments; app/ reads GBH_INDEX, not ES_GBH_INDEX.
    for (const env of ENVS) {
      const keys = [...Object.keys(configOf(env, FRONTEND.name)), ...Object.keys(configOf(env, BACKEND.name))];
      for (const unread of ['OV_WORKERS', 'OV_FORWARDED_ALLOW_IPS', 'OV_ACCESS_LOGFILE', 'OV_ERROR_LOGFILE', 'ES_GBH_INDEX']) expect(keys).not.toContain(unread);
    }
  });

  test('an older frontend gets only what it reads, and only where its built-in values are what the environment wants', () => {
    // v1.1.0 reads five variables and hard-codes the index names (app/components/OVResults.tsx).
    const old = { ...DEMO, site: { ...DEMO.site, esIndex: 'wagtail' }, frontend: { ...DEMO.frontend, tag: 'v1.1.0' } };
    const data = configOf(parseEnvironment(old), FRONTEND.name);
    expect(data.ES_OV_INDEX).toBeUndefined();
    expect(data.GBH_INDEX).toBeUndefined();
    expect(container(parseEnvironment(old), FRONTEND.name).volumeMounts.map((m: any) => m.mountPath)).toEqual(['/tmp']);
  });

  test('pinning a release that cannot honour a setting is an error naming both', () => {
    const problems = environmentProblems({ ...DEMO, backend: { ...DEMO.backend, tag: 'v1.1.0' } });
    expect(problems).toEqual([expect.stringMatching(/^ov-demo: backend\.tag "v1\.1\.0": cannot honour ES_INDEX="ov-demo"/)]);
    const cookie = environmentProblems({ ...DEMO, site: { ...DEMO.site, esIndex: 'wagtail', cookieConsent: true }, frontend: { ...DEMO.frontend, tag: 'v1.1.0' } });
    expect(cookie).toEqual([expect.stringContaining('frontend.tag "v1.1.0": cannot honour site.cookieConsent: that release reads no COOKIE_CONSENT_ID')]);
  });

  test('the worker count reaches gunicorn; otherwise the start is the image\'s own', () => {
    for (const env of ENVS) {
      const [command] = container(env, BACKEND.name).command.slice(-1);
      expect(command).toContain(`--workers ${env.backend.workers}`);
      // docker_entrypoints/deploy.sh at v1.1.0 to v1.1.3 (no `&&`), with exec so that SIGTERM reaches gunicorn.
      expect(command).toMatch(/^cd \/app; python3 manage.py collectstatic --noinput; exec gunicorn ov_wag\.wsgi:application -b 0\.0\.0\.0:8000 --workers \d+ --forwarded-allow-ips '\*' --access-logfile - --error-logfile -$/);
    }
    const { workers: _, ...backend } = DEMO.backend;
    expect(container(parseEnvironment({ ...DEMO, backend }), BACKEND.name).command.at(-1)).toContain('--workers 4');
  });
});

describe('search and media of one\'s own', () => {
  test.each(ENVS)('$namespace: the frontend searches the pages of the index the backend writes', (env) => {
    const be = configOf(env, BACKEND.name);
    expect(be.ES_INDEX).toBe(env.site.esIndex);
    // Wagtail names a model's index <index>__<app>_<model>.
    expect(configOf(env, FRONTEND.name).ES_OV_INDEX).toBe(`${be.ES_INDEX}__wagtailcore_page`);
    expect(pageIndex(be.ES_INDEX)).toBe(configOf(env, FRONTEND.name).ES_OV_INDEX);
  });

  const twin = (patch: (demo: EnvironmentInput) => EnvironmentInput) => () => loadRegistry([REGISTRY[0], patch({ ...REGISTRY[1] })]);
  test.each([
    ['a namespace', (d: any) => ({ ...d, namespace: PRODUCTION.namespace }), `shares the namespace "${PRODUCTION.namespace}"`],
    ['a host', (d: any) => ({ ...d, host: PRODUCTION.host }), `shares the host "${PRODUCTION.host}"`],
    ['an admin host with the other\'s public host', (d: any) => ({ ...d, ingress: { ...d.ingress, adminHost: PRODUCTION.host } }), `shares the host "${PRODUCTION.host}"`],
    ['an index on the same Elasticsearch', (d: any) => ({ ...d, site: { ...d.site, esIndex: PRODUCTION.site.esIndex } }), `shares the search index "${PRODUCTION.site.esIndex} on ${PRODUCTION.site.esUrl}"`],
    ['a bucket', (d: any) => ({ ...d, site: { ...d.site, s3Bucket: PRODUCTION.site.s3Bucket } }), `shares the S3 bucket "${PRODUCTION.site.s3Bucket}"`],
  ])('two environments may not share %s: both are named with the value', (_what, patch, message) => {
    expect(twin(patch)).toThrow(ConfigError);
    expect(twin(patch)).toThrow(`${patch(REGISTRY[1]).namespace} (entry 2): ${message} with ${PRODUCTION.namespace} (entry 1)`);
  });

  test('the same index name on another Elasticsearch is no conflict', () => {
    expect(twin((d: any) => ({ ...d, site: { ...d.site, esIndex: PRODUCTION.site.esIndex, esUrl: 'https://elastic.example.org' } }))().environments).toHaveLength(2);
  });
});

/** The Ingress of a host and the Service a request path reaches, by the longest matching Prefix. */
function serviceFor(objects: readonly Obj[], host: string, requestPath: string): string | undefined {
  const paths = ofKind(objects, 'Ingress').flatMap((i) => i.spec.rules).filter((r: any) => r.host === host).flatMap((r: any) => r.http.paths);
  const matching = paths.filter((p: any) => p.path === '/' || requestPath === p.path || requestPath.startsWith(`${p.path}/`));
  matching.sort((a: any, b: any) => b.path.length - a.path.length);
  return matching[0]?.backend.service.name;
}

describe('routes follow ov_wag/urls.py at v1.1.3', () => {
  // django-admin/, admin/, documents/, accounts/ (allauth, Auth0 login), footnotes/ (the CMS footnote chooser).
  test.each(['/admin/', '/django-admin/', '/documents/12/report.pdf', '/accounts/auth0/login/', '/footnotes/'])('%s goes to the backend', (p) => {
    for (const env of ENVS) expect(serviceFor(objectsOf(env), env.host, p)).toBe(BACKEND.name);
  });
  // The frontend serves the pages (app/routes/), its own /search, and the API stays in the cluster.
  test.each(['/', '/search', '/exhibits/civil-rights', '/administrator', '/api/v2/pages/'])('%s goes to the frontend', (p) => {
    for (const env of ENVS) expect(serviceFor(objectsOf(env), env.host, p)).toBe(FRONTEND.name);
  });
});

const CONTROLLERS = [
  // Pod labels of the controllers' Helm charts: ingress-nginx, and traefik/traefik-helm-chart _helpers.tpl.
  ['nginx', withController(PRODUCTION, 'nginx'), { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } }],
  ['traefik', withController(PRODUCTION, 'traefik'), { namespace: 'traefik', labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' } }],
] as const;

describe.each(CONTROLLERS)('ingress controller %s', (kind, env, controllerPod) => {
  const objects = objectsOf(env);
  const ingresses = ofKind(objects, 'Ingress');
  const annotation = (i: Obj, key: string) => i.metadata.annotations?.[key];

  test('passes every validation rule', () => {
    expect(findViolations(objects)).toEqual([]);
  });

  test('its class is on every Ingress', () => {
    for (const i of ingresses) expect(i.spec.ingressClassName).toBe(kind);
  });

  test('HTTP is redirected to HTTPS, uploads up to the limit pass, and the public host alone is rate-limited', () => {
    const limit = env.ingress.rateLimit!;
    const [pub] = ingresses;
    if (kind === 'nginx') {
      expect(annotation(pub, 'nginx.ingress.kubernetes.io/force-ssl-redirect')).toBe('true');
      expect(annotation(pub, 'nginx.ingress.kubernetes.io/proxy-body-size')).toBe(env.ingress.maxBodySize);
      expect(annotation(pub, 'nginx.ingress.kubernetes.io/limit-rps')).toBe(String(limit.average));
    } else {
      const middlewares = ofKind(objects, 'Middleware');
      const attached = annotation(pub, 'traefik.ingress.kubernetes.io/router.middlewares')!.split(',');
      expect(attached).toEqual(middlewares.map((m) => `${env.namespace}-${m.metadata.name}@kubernetescrd`));
      const spec = Object.assign({}, ...middlewares.map((m) => m.spec));
      expect(spec.redirectScheme).toEqual({ scheme: 'https', permanent: true });
      expect(spec.buffering.maxRequestBodyBytes).toBe(100 * 1024 * 1024);
      expect(spec.rateLimit).toEqual({ average: limit.average, burst: limit.burst });
    }
  });

  test('an admin host is not rate-limited', () => {
    const admin = parseEnvironment({ ...env, ingress: { ...env.ingress, adminHost: `admin.${env.host}` } });
    const o = objectsOf(admin);
    const adminIngress = ofKind(o, 'Ingress').find((i) => i.spec.rules[0].host === admin.ingress.adminHost)!;
    expect(JSON.stringify(adminIngress.metadata.annotations)).not.toMatch(/limit-rps|rate-limit/);
    expect(serviceFor(o, admin.ingress.adminHost!, '/')).toBeUndefined();
    expect(serviceFor(o, admin.ingress.adminHost!, '/admin/')).toBe(BACKEND.name);
  });

  test('the NetworkPolicies admit exactly its pods, from its namespace', () => {
    const frontend = { namespace: env.namespace, labels: find(objects, 'Deployment', FRONTEND.name).spec.template.metadata.labels };
    expect(allowed(objects, controllerPod, frontend, FRONTEND.port)).toBe(true);
    expect(allowed(objects, { ...controllerPod, labels: {} }, frontend, FRONTEND.port)).toBe(false);
    const other = CONTROLLERS.find(([k]) => k !== kind)![2];
    expect(allowed(objects, other, frontend, FRONTEND.port)).toBe(false);
  });
});

describe('the cluster\'s ingress controller is declared once', () => {
  test('every registered environment uses the controller the cluster declares (CLUSTER, lib/config/environments.ts)', () => {
    for (const input of REGISTRY) expect(input.ingress.controller).toBe(CLUSTER.ingressController);
  });

  test('an environment on another cluster names nginx in one field', () => {
    const moved = new OpenVault(new App(), 'moved', { env: { ...REGISTRY[0], ingress: { ...REGISTRY[0].ingress, controller: { kind: 'nginx' } } } });
    expect(moved.env.ingress.controller).toMatchObject({ kind: 'nginx', className: 'nginx', namespace: 'ingress-nginx' });
  });
});
