import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { CrdSchemas, customResourceIssues, isCustomResourceKnown, type CrdOptions, type CustomResource } from '../lib/synth/crd';

const CRDS = path.join(__dirname, '..', 'crds');
let tmp: string;
/** Every test validates with the vendored CRDs and a cache of its own suite, so each run compiles (and exercises) the rules. */
let options: CrdOptions;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-schema-test-'));
  options = { dir: CRDS, cacheDir: path.join(tmp, 'cache') };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const issues = (o: CustomResource) => customResourceIssues(o, options);

/** The openAPIV3Schema of a vendored CRD version. */
function crdSchema(file: string, version: string): any {
  const crd = load(fs.readFileSync(path.join(CRDS, file), 'utf8')) as any;
  return crd.spec.versions.find((v: any) => v.name === version).schema.openAPIV3Schema;
}

function externalSecret(spec: Record<string, unknown> = {}, apiVersion = 'external-secrets.io/v1'): CustomResource {
  return {
    apiVersion,
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: 'open-vault', labels: { 'app.kubernetes.io/name': 'open-vault' } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws-secrets' },
      target: { name: 'db-credentials', creationPolicy: 'Owner' },
      dataFrom: [{ extract: { key: 'open-vault/db' } }],
      ...spec,
    },
  };
}

function middleware(spec: Record<string, unknown>): CustomResource {
  return { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'mw', namespace: 'open-vault' }, spec };
}

const appSpec = (namespace: string) => ({
  project: 'default',
  source: {
    repoURL: 'https://github.com/example/open-vault.git',
    targetRevision: 'main',
    path: 'dist',
    directory: { include: `${namespace}.k8s.yaml`, recurse: false },
  },
  destination: { server: 'https://kubernetes.default.svc', namespace },
  syncPolicy: {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=false'],
    retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
  },
});

function application(spec: Record<string, unknown> = appSpec('ov')): CustomResource {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'ov', namespace: 'argocd' }, spec };
}

function applicationSet(spec: Record<string, unknown>): CustomResource {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'open-vault', namespace: 'argocd' }, spec };
}

const template = { metadata: { name: 'ov-{{.env}}' }, spec: appSpec('ov-{{.env}}') };

describe('ExternalSecret (external-secrets.io/v1)', () => {
  test('a valid ExternalSecret has no issues', () => {
    expect(issues(externalSecret())).toEqual([]);
  });

  test('data with remoteRef, and the other store kind, are valid', () => {
    const o = externalSecret({
      secretStoreRef: { kind: 'SecretStore', name: 'vault.backend' },
      dataFrom: undefined,
      data: [{ secretKey: 'password', remoteRef: { key: 'open-vault/db', property: 'password' } }],
    });
    expect(issues(o)).toEqual([]);
  });

  test('the CRD constrains the store name with a DNS-subdomain pattern', () => {
    const name = crdSchema('external-secrets.io_externalsecrets.yaml', 'v1').properties.spec.properties.secretStoreRef.properties.name;
    expect(name).toMatchObject({ type: 'string', maxLength: 253, minLength: 1, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' });
  });

  test('store name AWS_Secrets: the field and the pattern', () => {
    const o = externalSecret({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'AWS_Secrets' } });
    expect(issues(o)).toEqual([{
      field: 'spec.secretStoreRef.name',
      message: 'is "AWS_Secrets"; must match pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    }]);
  });

  test('an empty store name breaks minLength and the pattern', () => {
    const o = externalSecret({ secretStoreRef: { name: '' } });
    expect(issues(o)).toEqual([
      { field: 'spec.secretStoreRef.name', message: 'is ""; must be at least 1 character' },
      { field: 'spec.secretStoreRef.name', message: expect.stringMatching(/^is ""; must match pattern \^\[a-z0-9\]/) },
    ]);
  });

  test('a store kind outside the enum', () => {
    const o = externalSecret({ secretStoreRef: { kind: 'Store', name: 'aws-secrets' } });
    expect(issues(o)).toEqual([{ field: 'spec.secretStoreRef.kind', message: 'is "Store"; must be one of "SecretStore", "ClusterSecretStore"' }]);
  });

  test('unknown fields are errors, at any depth', () => {
    const o = externalSecret({ foo: 1, target: { name: 'db-credentials', creationPolcy: 'Owner' } });
    expect(issues(o)).toEqual([
      { field: 'spec.foo', message: 'unknown field' },
      { field: 'spec.target.creationPolcy', message: 'unknown field' },
    ]);
  });

  test('an unknown field at the top level', () => {
    expect(issues({ ...externalSecret(), sepc: {} })).toEqual([{ field: 'sepc', message: 'unknown field' }]);
  });

  test('required fields, with array indexes in the path', () => {
    const o = externalSecret({ dataFrom: undefined, data: [{ secretKey: 'a', remoteRef: { key: 'k' } }, { remoteRef: { property: 'p' } }] });
    expect(issues(o)).toEqual([
      { field: 'spec.data[1].remoteRef.key', message: 'is required' },
      { field: 'spec.data[1].secretKey', message: 'is required' },
    ]);
  });

  test('wrong types', () => {
    const o = externalSecret({ refreshInterval: 3600, dataFrom: { extract: { key: 'k' } } });
    expect(issues(o)).toEqual([
      { field: 'spec.dataFrom', message: 'is {"extract":{"key":"k"}}; must be an array' },
      { field: 'spec.refreshInterval', message: 'is 3600; must be a string' },
    ]);
  });

  test('metadata is any object at the top level (ObjectMeta is validated apart), but an object', () => {
    expect(issues({ ...externalSecret(), metadata: { name: 'db', whatever: { a: 1 } } })).toEqual([]);
    expect(issues({ ...externalSecret(), metadata: 'db' })).toEqual([{ field: 'metadata', message: 'is "db"; must be an object' }]);
  });

  test('null fields are pruned as by the API server: an optional one is fine, a required one is missing', () => {
    expect(issues(externalSecret({ refreshInterval: null }))).toEqual([]);
    expect(issues(externalSecret({ dataFrom: [{ extract: { key: null } }] }))).toEqual([{ field: 'spec.dataFrom[0].extract.key', message: 'is required' }]);
  });

  test('v1beta1 is in the CRD but not served', () => {
    expect(issues(externalSecret({}, 'external-secrets.io/v1beta1'))).toEqual([{
      field: 'apiVersion',
      message: 'version v1beta1 is not served by the CRD externalsecrets.external-secrets.io; use external-secrets.io/v1',
    }]);
    expect(isCustomResourceKnown('external-secrets.io/v1beta1', 'ExternalSecret', options)).toBe(true);
  });

  test('a version the CRD does not define', () => {
    expect(issues(externalSecret({}, 'external-secrets.io/v2'))).toEqual([{
      field: 'apiVersion',
      message: 'version v2 is not defined by the CRD externalsecrets.external-secrets.io; use external-secrets.io/v1',
    }]);
  });

  test('issues are sorted by field, then message, and the same every time', () => {
    const o = externalSecret({ zeta: 1, alpha: 2, secretStoreRef: { kind: 'X', name: 'Y_' }, target: 5 });
    const first = issues(o)!;
    expect(first.map((i) => i.field)).toEqual(['spec.alpha', 'spec.secretStoreRef.kind', 'spec.secretStoreRef.name', 'spec.target', 'spec.zeta']);
    expect(issues(o)).toEqual(first);
  });
});

describe('int-or-string fields', () => {
  test('the CRDs mark them x-kubernetes-int-or-string', () => {
    const spec = crdSchema('traefik.io_middlewares.yaml', 'v1alpha1').properties.spec.properties;
    expect(spec.rateLimit.properties.period).toMatchObject({ 'x-kubernetes-int-or-string': true });
    expect(spec.circuitBreaker.properties.checkPeriod).toMatchObject({ 'x-kubernetes-int-or-string': true, pattern: '^([0-9]+(ns|us|µs|ms|s|m|h)?)+$' });
  });

  test.each([[1], ['1s'], ['1m30s']])('Traefik rateLimit.period %p is valid', (period) => {
    expect(issues(middleware({ rateLimit: { average: 10, period } }))).toEqual([]);
  });

  test.each([[true, 'true'], [1.5, '1.5'], [{ s: 1 }, '{"s":1}']])('Traefik rateLimit.period %p is neither', (period, shown) => {
    expect(issues(middleware({ rateLimit: { period } }))).toEqual([{ field: 'spec.rateLimit.period', message: `is ${shown}; must be an integer or a string` }]);
  });

  test('the pattern of an int-or-string applies to strings only', () => {
    expect(issues(middleware({ circuitBreaker: { expression: 'NetworkErrorRatio() > 0.5', checkPeriod: 10 } }))).toEqual([]);
    expect(issues(middleware({ circuitBreaker: { checkPeriod: 'ten seconds' } }))).toEqual([
      { field: 'spec.circuitBreaker.checkPeriod', message: 'is "ten seconds"; must match pattern ^([0-9]+(ns|us|µs|ms|s|m|h)?)+$' },
    ]);
  });

  test('Argo CD kustomize replica counts: 3 and "3" are valid, 3.5 is not', () => {
    const withCount = (count: unknown) => application({ ...appSpec('ov'), source: { repoURL: 'https://x', path: 'k', kustomize: { replicas: [{ name: 'web', count }] } } });
    expect(issues(withCount(3))).toEqual([]);
    expect(issues(withCount('3'))).toEqual([]);
    expect(issues(withCount(3.5))).toEqual([{ field: 'spec.source.kustomize.replicas[0].count', message: 'is 3.5; must be an integer or a string' }]);
  });
});

describe('Traefik Middleware (traefik.io/v1alpha1)', () => {
  test.each([
    ['redirectScheme', { redirectScheme: { scheme: 'https', permanent: true, port: '443' } }],
    ['buffering', { buffering: { maxRequestBodyBytes: 10_485_760, memRequestBodyBytes: 2_097_152 } }],
    ['rateLimit', { rateLimit: { average: 100, burst: 50 } }],
    ['plugin (any values)', { plugin: { myplugin: { anything: [1, { x: true }] } } }],
  ])('a valid %s middleware has no issues', (_name, spec) => {
    expect(issues(middleware(spec))).toEqual([]);
  });

  test('wrong types and bounds', () => {
    const o = middleware({ buffering: { maxRequestBodyBytes: '10Mi' }, redirectScheme: { permanent: 'yes' }, rateLimit: { average: -1, burst: 1.5 } });
    expect(issues(o)).toEqual([
      { field: 'spec.buffering.maxRequestBodyBytes', message: 'is "10Mi"; must be an integer' },
      { field: 'spec.rateLimit.average', message: 'is -1; must be >= 0' },
      { field: 'spec.rateLimit.burst', message: 'is 1.5; must be an integer' },
      { field: 'spec.redirectScheme.permanent', message: 'is "yes"; must be a boolean' },
    ]);
  });

  test('CEL rules (x-kubernetes-validations) are not checked', () => {
    const prefix = crdSchema('traefik.io_middlewares.yaml', 'v1alpha1').properties.spec.properties.addPrefix.properties.prefix;
    expect(prefix['x-kubernetes-validations']).toEqual([expect.objectContaining({ rule: "self.startsWith('/')" })]);
    expect(issues(middleware({ addPrefix: { prefix: 'no-slash' } }))).toEqual([]);
  });

  test('an unknown middleware', () => {
    expect(issues(middleware({ redirectSchema: { scheme: 'https' } }))).toEqual([{ field: 'spec.redirectSchema', message: 'unknown field' }]);
  });
});

describe('Argo CD (argoproj.io/v1alpha1)', () => {
  test('a valid Application has no issues', () => {
    expect(issues(application())).toEqual([]);
  });

  test('helm valuesObject preserves unknown fields', () => {
    const o = application({ ...appSpec('ov'), source: { repoURL: 'https://x', chart: 'c', targetRevision: '1.0.0', helm: { valuesObject: { any: { nested: ['thing'] } } } } });
    expect(issues(o)).toEqual([]);
  });

  test('an Application without a destination, with a misspelled field', () => {
    const { destination: _d, ...spec } = appSpec('ov');
    expect(issues(application({ ...spec, syncPolicy: { automated: { prune: true, selfheal: true } } }))).toEqual([
      { field: 'spec.destination', message: 'is required' },
      { field: 'spec.syncPolicy.automated.selfheal', message: 'unknown field' },
    ]);
  });

  test('a valid ApplicationSet with a git files generator has no issues', () => {
    const o = applicationSet({
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ git: { repoURL: 'https://github.com/example/open-vault.git', revision: 'main', files: [{ path: 'environments/*.json' }] } }],
      template,
    });
    expect(issues(o)).toEqual([]);
  });

  test('a valid ApplicationSet with a list generator (elements are free-form) has no issues', () => {
    const o = applicationSet({ generators: [{ list: { elements: [{ env: 'dev', replicas: 1 }, { env: 'prod', nested: { a: [1] } }] } }], template });
    expect(issues(o)).toEqual([]);
  });

  test('an ApplicationSet with an unknown field under spec, and one deep in its template', () => {
    const o = applicationSet({
      generators: [{ list: { elements: [] } }],
      template: { ...template, spec: { ...template.spec, destination: { server: 'https://kubernetes.default.svc', namespase: 'x' } } },
      syncPolcy: { preserveResourcesOnDeletion: true },
    });
    expect(issues(o)).toEqual([
      { field: 'spec.syncPolcy', message: 'unknown field' },
      { field: 'spec.template.spec.destination.namespase', message: 'unknown field' },
    ]);
  });

  test('issues inside a generator template (a shared subschema) name their own path', () => {
    const o = applicationSet({
      generators: [{ git: { repoURL: 'https://x', revision: 'main', files: [{}], template: { metadata: {}, spec: { project: 5, destination: {} } } } }],
      template,
    });
    expect(issues(o)).toEqual([
      { field: 'spec.generators[0].git.files[0].path', message: 'is required' },
      { field: 'spec.generators[0].git.template.spec.project', message: 'is 5; must be a string' },
    ]);
  });
});

describe('unknown kinds', () => {
  test.each([
    ['v1', 'Pod'],
    ['apps/v1', 'Deployment'],
    ['example.com/v1', 'Widget'],
    ['external-secrets.io/v1', 'SecretStore'],
    ['argoproj.io/v1alpha1', 'AppProject'],
  ])('%s %s: no vendored CRD, so undefined', (apiVersion, kind) => {
    expect(customResourceIssues({ apiVersion, kind, metadata: { name: 'x' } }, options)).toBeUndefined();
    expect(isCustomResourceKnown(apiVersion, kind, options)).toBe(false);
  });

  test.each([
    ['external-secrets.io/v1', 'ExternalSecret'],
    ['argoproj.io/v1alpha1', 'Application'],
    ['argoproj.io/v1alpha1', 'ApplicationSet'],
    ['traefik.io/v1alpha1', 'Middleware'],
    ['cert-manager.io/v1', 'Certificate'],
  ])('%s %s is known', (apiVersion, kind) => {
    expect(isCustomResourceKnown(apiVersion, kind, options)).toBe(true);
  });

  test('without options: the project crds/ folder', () => {
    expect(isCustomResourceKnown('traefik.io/v1alpha1', 'Middleware')).toBe(true);
    expect(isCustomResourceKnown('v1', 'Pod')).toBe(false);
  });

  test('an empty or missing CRD folder knows nothing', () => {
    const none = { dir: path.join(tmp, 'no-such-dir'), cacheDir: null };
    expect(customResourceIssues(externalSecret(), none)).toBeUndefined();
  });
});

describe('structural-schema rules, on a CRD of the test\'s own (the dir option)', () => {
  const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer, minimum: 0, exclusiveMinimum: true }
                when: { type: string, format: date-time }
                code: { type: string, pattern: '(?i)^[a-z]+$' }
                note: { type: string, nullable: true }
                tags: { type: array, items: { type: string }, x-kubernetes-list-type: set }
                empty: { type: object }
                shape: { type: object, x-kubernetes-preserve-unknown-fields: true, enum: [{ sides: 3 }, { sides: 4 }] }
                free: { type: object, x-kubernetes-preserve-unknown-fields: true, properties: { typed: { type: string } } }
                inner:
                  type: object
                  x-kubernetes-embedded-resource: true
                  properties: { spec: { type: object, properties: { replicas: { type: integer } } } }
                both:
                  type: object
                  properties: { a: { type: string }, b: { type: string } }
                  allOf:
                    - properties: { a: { maxLength: 3 } }
                    - properties: { b: { maxLength: 3 } }
`;
  let widgets: CrdOptions;
  beforeAll(() => {
    const dir = path.join(tmp, 'widgets');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'example.com_widgets.yaml'), crd);
    widgets = { dir, cacheDir: path.join(tmp, 'widgets-cache') };
  });
  const widget = (spec: Record<string, unknown>): CustomResource => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });

  test('a valid widget', () => {
    const o = widget({
      size: 1, when: '2026-01-02T03:04:05Z', code: 'ABC', note: null, tags: ['a', 'b'], empty: {}, shape: { sides: 4 },
      free: { typed: 'x', other: { any: 1 } }, inner: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { replicas: 2 } },
      both: { a: 'abc', b: 'xyz' },
    });
    expect(customResourceIssues(o, widgets)).toEqual([]);
    expect(isCustomResourceKnown('example.com/v1', 'Widget', widgets)).toBe(true);
    expect(isCustomResourceKnown('external-secrets.io/v1', 'ExternalSecret', widgets)).toBe(false);
  });

  test('what the API server would refuse', () => {
    const o = widget({
      size: 0, when: 'yesterday', tags: ['a', 'a'], empty: { x: 1 }, free: { typed: 1 }, shape: { sides: 5 },
      inner: { kind: 'Pod', spec: { replicas: 'two', extra: true } }, both: { a: 'abcd', c: 1 },
    });
    expect(customResourceIssues(o, widgets)).toEqual([
      { field: 'spec.both.a', message: 'is "abcd"; must be at most 3 characters' },
      { field: 'spec.both.c', message: 'unknown field' },
      { field: 'spec.empty.x', message: 'unknown field' },
      { field: 'spec.free.typed', message: 'is 1; must be a string' },
      { field: 'spec.inner.spec.extra', message: 'unknown field' },
      { field: 'spec.inner.spec.replicas', message: 'is "two"; must be an integer' },
      { field: 'spec.shape', message: 'is {"sides":5}; must be one of {"sides":3}, {"sides":4}' },
      { field: 'spec.size', message: 'is 0; must be > 0' },
      { field: 'spec.tags[1]', message: 'is "a"; must be unique (the same as [0])' },
      { field: 'spec.when', message: 'is "yesterday"; must be a date-time' },
    ]);
  });

  test('a Go pattern JavaScript cannot compile is not checked (rather than breaking the validator)', () => {
    expect(customResourceIssues(widget({ code: '123' }), widgets)).toEqual([]);
  });
});

describe('the validator cache', () => {
  /** The cache file of the stamps of a CRD folder's files. */
  const stampsName = (dir: string) => `crd-files.${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.json`;
  const esFile = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('external-secrets.io_externalsecrets.ExternalSecret.v1.') && f.endsWith('.js'));
  const bad = externalSecret({ secretStoreRef: { name: 'AWS_Secrets' } });

  test('reads and compiles only the kinds validated, named by the CRD sha256 and the ajv version, written atomically', () => {
    const cacheDir = path.join(tmp, 'lazy');
    const s = new CrdSchemas({ dir: CRDS, cacheDir });
    expect(s.issues(externalSecret())).toEqual([]);
    // Only the ExternalSecret CRD was parsed (its index cached) and compiled: not the 1.4 MB ApplicationSet CRD.
    expect(fs.readdirSync(cacheDir).sort()).toEqual([
      stampsName(CRDS),
      expect.stringMatching(/^external-secrets\.io_externalsecrets\.5044be5a610ca90a\.[0-9a-f]{12}\.index\.json$/),
      expect.stringMatching(/^external-secrets\.io_externalsecrets\.ExternalSecret\.v1\.5044be5a610ca90a\.ajv-8\.20\.0\.[0-9a-f]{12}\.js$/),
    ]);
    expect(s.isKnown('argoproj.io/v1alpha1', 'ApplicationSet')).toBe(true);
    const files = fs.readdirSync(cacheDir);
    expect(files.filter((f) => f.startsWith('argoproj.io_applicationsets.'))).toEqual([expect.stringMatching(/\.index\.json$/)]);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a warm run reads no CRD file: their sha256 is kept with their size, times and inode', () => {
    const cacheDir = path.join(tmp, 'lazy');
    const stamps = JSON.parse(fs.readFileSync(path.join(cacheDir, stampsName(CRDS)), 'utf8'));
    expect(Object.keys(stamps)).toEqual(fs.readdirSync(CRDS).filter((f) => f.endsWith('.yaml')).sort());
    expect(stamps['external-secrets.io_externalsecrets.yaml']).toMatchObject({ sha256: expect.stringMatching(/^5044be5a610ca90a[0-9a-f]{48}$/) });
    const read = jest.spyOn(fs, 'readFileSync');
    try {
      const s = new CrdSchemas({ dir: CRDS, cacheDir });
      expect(s.issues(externalSecret())).toEqual([]);
      expect(s.isKnown('argoproj.io/v1alpha1', 'ApplicationSet')).toBe(true);
      expect(read.mock.calls.map(([f]) => String(f)).filter((f) => f.startsWith(CRDS))).toEqual([]);
    } finally {
      read.mockRestore();
    }
  });

  test('a file is trusted to have its stamped sha256 only while its stamp is the same; a recent file is not stamped', () => {
    const dir = path.join(tmp, 'stamped');
    const cacheDir = path.join(tmp, 'stamped-cache');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'external-secrets.io_externalsecrets.yaml');
    fs.copyFileSync(path.join(CRDS, 'external-secrets.io_externalsecrets.yaml'), file);
    const shaOfEntry = () => fs.readdirSync(cacheDir).filter((f) => f.endsWith('.js')).map((f) => /\.([0-9a-f]{16})\.ajv-/.exec(f)?.[1]).sort();
    new CrdSchemas({ dir, cacheDir }).issues(externalSecret());
    // Just written: hashed, not stamped (the file system's clock is too coarse to tell a second write in the same tick).
    expect(fs.existsSync(path.join(cacheDir, stampsName(dir)))).toBe(false);
    expect(shaOfEntry()).toEqual(['5044be5a610ca90a']);
    const st = fs.statSync(file);
    const stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256: 'f'.repeat(64) };
    fs.writeFileSync(path.join(cacheDir, stampsName(dir)), JSON.stringify({ 'external-secrets.io_externalsecrets.yaml': stamp }));
    new CrdSchemas({ dir, cacheDir }).issues(externalSecret());
    // The stamp is the file's: its sha256 is taken as it is (and names the entry, the one of the other sha256 pruned).
    expect(shaOfEntry()).toEqual(['ffffffffffffffff']);
    fs.appendFileSync(file, '\n');
    new CrdSchemas({ dir, cacheDir }).issues(externalSecret());
    expect(shaOfEntry()).toEqual([expect.not.stringMatching(/^(f{16}|5044be5a610ca90a)$/)]);
  });

  test('a warm index: isKnown without parsing any CRD', () => {
    const cacheDir = path.join(tmp, 'lazy');
    const before = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.index.json'));
    for (const f of before) fs.writeFileSync(path.join(cacheDir, f), JSON.stringify([{ name: 'x', group: 'cached.example', kind: 'Cached', versions: [] }]));
    const s = new CrdSchemas({ dir: CRDS, cacheDir });
    expect(s.isKnown('cached.example/v1', 'Cached')).toBe(true);
    expect(s.isKnown('external-secrets.io/v1', 'ExternalSecret')).toBe(false);
  });

  test('a warm cache is used: the validator is loaded from the file', () => {
    const cacheDir = path.join(tmp, 'warm');
    new CrdSchemas({ dir: CRDS, cacheDir }).issues(externalSecret());
    const [file] = esFile(cacheDir);
    // A stand-in validator proves which one runs.
    fs.writeFileSync(path.join(cacheDir, file), 'module.exports = function v(d) { v.errors = [{ instancePath: "/spec", keyword: "x", params: {}, message: "from the cache" }]; return false; };');
    expect(new CrdSchemas({ dir: CRDS, cacheDir }).issues(externalSecret())).toEqual([{ field: 'spec', message: expect.stringContaining('from the cache') }]);
  });

  test('a broken cache entry is compiled again, and replaced', () => {
    const cacheDir = path.join(tmp, 'broken');
    new CrdSchemas({ dir: CRDS, cacheDir }).issues(externalSecret());
    const [file] = esFile(cacheDir);
    fs.writeFileSync(path.join(cacheDir, file), 'this is not javascript {');
    expect(new CrdSchemas({ dir: CRDS, cacheDir }).issues(bad)).toEqual([expect.objectContaining({ field: 'spec.secretStoreRef.name' })]);
    expect(fs.readFileSync(path.join(cacheDir, file), 'utf8')).toMatch(/^"use strict"/);
  });

  test('an unwritable cache, or none, just compiles', () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, '');
    for (const cacheDir of [path.join(blocker, 'cache'), null]) {
      const s = new CrdSchemas({ dir: CRDS, cacheDir });
      expect(s.issues(externalSecret())).toEqual([]);
      expect(s.issues(bad)).toEqual([expect.objectContaining({ field: 'spec.secretStoreRef.name' })]);
    }
  });

  test('in node\'s main context a cached validator is compiled with V8\'s code cache, written once it has run', () => {
    // The module bundled and run in plain node processes: in this sandbox validators are evaluated without vm.
    const bundle = path.join(tmp, 'crd-main.js');
    require('esbuild').buildSync({ entryPoints: [path.join(__dirname, '..', 'lib', 'synth', 'crd', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'error' });
    const dir = path.join(tmp, 'gadgets');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'example.com_gadgets.yaml'), `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.example.com }
spec:
  group: example.com
  names: { kind: Gadget, plural: gadgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer } } }
`);
    const cacheDir = path.join(tmp, 'code-cache');
    const gadget = (size: unknown) => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size } });
    const script = `const { CrdSchemas } = require(${JSON.stringify(bundle)});
      const s = new CrdSchemas({ dir: ${JSON.stringify(dir)}, cacheDir: ${JSON.stringify(cacheDir)} });
      process.stdout.write(JSON.stringify([s.issues(${JSON.stringify(gadget(3))}), s.issues(${JSON.stringify(gadget('3'))})]));`;
    const run = () => JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }));
    const entries = () => fs.readdirSync(cacheDir).filter((f) => f.startsWith('example.com_gadgets.Gadget.v1.'));
    const expected = [[], [{ field: 'spec.size', message: 'is "3"; must be an integer' }]];
    expect(run()).toEqual(expected); // compiled: the code is cached, V8's cache not yet
    const [code] = entries();
    expect(entries()).toEqual([code]);
    expect(run()).toEqual(expected); // the cached code, compiled by vm, and its code cache written
    expect(entries()).toEqual([code, `${code}.v8-${process.version}`]);
    const written = fs.statSync(path.join(cacheDir, `${code}.v8-${process.version}`));
    expect(run()).toEqual(expected); // the code cache accepted: not written again
    expect(fs.statSync(path.join(cacheDir, `${code}.v8-${process.version}`))).toMatchObject({ mtimeMs: written.mtimeMs, ino: written.ino });
  });

  test('the ApplicationSet validator is compact: its repeated subschemas are compiled once', () => {
    const cacheDir = path.join(tmp, 'appset');
    new CrdSchemas({ dir: CRDS, cacheDir }).issues(applicationSet({ generators: [], template }));
    const [file] = fs.readdirSync(cacheDir).filter((f) => f.startsWith('argoproj.io_applicationsets.ApplicationSet.v1alpha1.') && f.endsWith('.js'));
    // About 0.3 MB; without sharing, ajv generates about 8 MB of code for it, in seconds.
    expect(fs.statSync(path.join(cacheDir, file)).size).toBeLessThan(1_000_000);
  });

  test('entries for an older content of the same CRD file are removed, and all but the newest variants', () => {
    const cacheDir = path.join(tmp, 'stale');
    fs.mkdirSync(cacheDir, { recursive: true });
    const entry = (sha: string, gen: string) => `external-secrets.io_externalsecrets.ExternalSecret.v1.${sha}.ajv-8.20.0.${gen}.js`;
    const older = entry('0123456789abcdef', '000000000000');
    const variants = ['111111111111', '222222222222', '333333333333'].map((gen) => entry('5044be5a610ca90a', gen));
    const other = 'traefik.io_middlewares.Middleware.v1alpha1.0123456789abcdef.ajv-8.20.0.000000000000.js';
    const companion = (f: string) => `${f}.v8-${process.version}`;
    for (const f of [older, ...variants, other, companion(older), companion(variants[0]), companion(variants[2])]) fs.writeFileSync(path.join(cacheDir, f), '');
    variants.forEach((f, i) => fs.utimesSync(path.join(cacheDir, f), 1_000_000 + i, 1_000_000 + i));
    new CrdSchemas({ dir: CRDS, cacheDir }).issues(externalSecret());
    const left = fs.readdirSync(cacheDir).filter((f) => f.endsWith('.js'));
    expect(left).not.toContain(older);
    // The new entry and the two newest other variants (three in all); another CRD's entries are left alone.
    expect(left.filter((f) => f.startsWith('external-secrets.io_')).sort()).toEqual([...variants.slice(1), ...esFile(cacheDir).filter((f) => !variants.includes(f))].sort());
    expect(esFile(cacheDir)).toHaveLength(3);
    expect(left).toContain(other);
    // V8's code cache of an entry goes with it.
    const codeCaches = fs.readdirSync(cacheDir).filter((f) => f.includes('.v8-'));
    expect(codeCaches).toEqual([companion(variants[2])]);
  });
});
