/**
 * No invented values: what only the operators know (client ids, the cookie-consent id, the repository Argo CD
 * syncs, the secret key) is never a made-up literal in the manifests; it comes from the Secrets, generated once,
 * or is left unset until the operators set it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { ENVIRONMENTS } from '../../lib/config/environments';
import { BACKEND, FRONTEND } from '../../lib/config/images';
import { GENERATED_SECRET_KEY, storedSecrets } from '../../lib/config/secrets';
import { environmentProblems } from '../../lib/config/types';
import { CLUSTER_CRDS } from '../cluster/control-plane';
import { containers, DEMO, find, objectsOf, ofKind, podTemplate, PRODUCTION, variant } from '../helpers';

const secretRef = (container: any, name: string) => container.env?.find((e: any) => e.name === name)?.valueFrom?.secretKeyRef;

describe.each(ENVIRONMENTS.map((e) => [e.namespace, e] as const))('%s', (_ns, env) => {
  const objects = objectsOf(env);

  test('the login\'s client ids are read from the backend\'s Secret, never from a ConfigMap', () => {
    for (const cm of ofKind(objects, 'ConfigMap')) expect(Object.keys(cm.data ?? {})).not.toEqual(expect.arrayContaining(['AUTH0_CLIENT_ID']));
    for (const cm of ofKind(objects, 'ConfigMap')) expect(Object.keys(cm.data ?? {})).not.toContain('GOOGLE_CLIENT_ID');
    const workloads = [find(objects, 'Deployment', BACKEND.name), ...ofKind(objects, 'Job'), ...ofKind(objects, 'CronJob').filter((c) => c.metadata.name.startsWith(BACKEND.name))];
    for (const w of workloads) {
      for (const c of containers(podTemplate(w).spec).filter((c: any) => c.image.includes(BACKEND.repository))) {
        expect(secretRef(c, 'AUTH0_CLIENT_ID')).toEqual({ name: 'ov-wag', key: 'AUTH0_CLIENT_ID' });
        expect(secretRef(c, 'GOOGLE_CLIENT_ID')).toEqual({ name: 'ov-wag', key: 'GOOGLE_CLIENT_ID' });
      }
    }
  });

  test('no setting is the placeholder "open-vault"', () => {
    for (const cm of ofKind(objects, 'ConfigMap')) expect(Object.values(cm.data ?? {})).not.toContain('open-vault');
  });

  test('the cookie-consent id comes from the frontend\'s Secret exactly where the site shows the banner', () => {
    const frontend = find(objects, 'Deployment', FRONTEND.name).spec.template.spec.containers[0];
    expect(find(objects, 'ConfigMap', FRONTEND.name).data.COOKIE_CONSENT_ID).toBeUndefined();
    expect(secretRef(frontend, 'COOKIE_CONSENT_ID')).toEqual(env.site.cookieConsent ? { name: 'ov-frontend', key: 'COOKIE_CONSENT_ID' } : undefined);
  });
});

describe('the secret store of production', () => {
  test('holds the cookie-consent id and the client ids, each under a declared property', () => {
    expect(PRODUCTION.site.cookieConsent).toBe(true);
    const store = PRODUCTION.externalSecrets!;
    expect(Object.keys(store.secrets['ov-frontend'].properties)).toContain('COOKIE_CONSENT_ID');
    expect(Object.keys(store.secrets['ov-wag'].properties)).toEqual(expect.arrayContaining(['AUTH0_CLIENT_ID', 'GOOGLE_CLIENT_ID']));
    // The secret key is generated in the cluster, not kept in the store.
    expect(Object.keys(store.secrets['ov-wag'].properties)).not.toContain('OV_SECRET_KEY');
    const backend = find(objectsOf(PRODUCTION), 'Deployment', BACKEND.name).spec.template.spec.containers[0];
    expect(secretRef(backend, 'OV_SECRET_KEY')).toEqual(GENERATED_SECRET_KEY);
    expect(secretRef(find(objectsOf(DEMO), 'Deployment', BACKEND.name).spec.template.spec.containers[0], 'OV_SECRET_KEY')).toEqual({ name: 'ov-wag', key: 'OV_SECRET_KEY' });
  });

  test('the Password generator is of the vendored CRD, which the cluster tests install (the API server judges it there)', () => {
    const password = find(objectsOf(PRODUCTION), 'Password', GENERATED_SECRET_KEY.name);
    const crd = load(fs.readFileSync(path.join(__dirname, '..', '..', 'crds', 'generators.external-secrets.io_passwords.yaml'), 'utf8')) as any;
    expect(password.apiVersion).toBe(`${crd.spec.group}/${crd.spec.versions.find((v: any) => v.served && v.storage).name}`);
    expect(password.kind).toBe(crd.spec.names.kind);
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    for (const field of spec.required) expect(password.spec).toHaveProperty(field);
    expect(CLUSTER_CRDS.map((f) => path.basename(f))).toContain('generators.external-secrets.io_passwords.yaml');
  });

  test('a key without a property, or a property no workload reads, is refused in one line each', () => {
    const store = PRODUCTION.externalSecrets!;
    const { ES_PASSWORD: _gone, ...rest } = store.secrets['ov-wag'].properties;
    const missing = variant(PRODUCTION, { externalSecrets: { ...store, secrets: { ...store.secrets, 'ov-wag': { ...store.secrets['ov-wag'], properties: rest } } } });
    expect(environmentProblems(missing)).toEqual([expect.stringMatching(/^ov: externalSecrets\.secrets\.ov-wag\.properties\.ES_PASSWORD \(unset\): Secret "ov-wag" needs a property for each of /)]);
    const extra = variant(PRODUCTION, { externalSecrets: { ...store, secrets: { ...store.secrets, 'ov-wag': { ...store.secrets['ov-wag'], properties: { ...store.secrets['ov-wag'].properties, OV_SECRET_KEY: 'secret_key' } } } } });
    expect(environmentProblems(extra)).toEqual([expect.stringMatching(/^ov: externalSecrets\.secrets\.ov-wag\.properties\.OV_SECRET_KEY "secret_key": no workload reads key "OV_SECRET_KEY"/)]);
    const stray = variant(PRODUCTION, { externalSecrets: { ...store, secrets: { ...store.secrets, 'ov-old': { remoteKey: 'prod/ov/old', properties: { a: 'a' } } } } });
    expect(environmentProblems(stray)).toEqual([expect.stringMatching(/^ov: externalSecrets\.secrets\.ov-old "prod\/ov\/old": no workload reads a Secret "ov-old"/)]);
    expect(storedSecrets(PRODUCTION).map((s) => s.name)).toEqual(Object.keys(store.secrets).sort());
  });
});
