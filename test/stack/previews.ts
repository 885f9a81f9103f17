/**
 * Pull-request previews inside the demo's namespace: named, tagged and isolated as the operators run
 * them, each with its own host, index and database, seeded from the demo's, showing the demo's media.
 */
import { ENVIRONMENTS, loadRegistry, PREVIEW_HOME, previewFor, REGISTRY } from '../../lib/config/environments';
import { BACKEND, DATABASE, FRONTEND } from '../../lib/config/images';
import { PREVIEW_REPOS, previewName } from '../../lib/config/preview';
import { ConfigError } from '../../lib/config/types';
import { SEED } from '../../lib/chart/seed';
import { SYNC_WAVE, WAVES } from '../../lib/chart/sync-order';
import { applicationObject, previewSetObject } from '../../lib/synth/render';
import { findViolations } from '../../lib/synth/validate';
import { selectorLabels } from '../../lib/chart/labels';
import { adopted, find, objectsOf, ofKind, Obj } from '../helpers';
import { allowed, Endpoint } from '../netpol';

const demo = ENVIRONMENTS.find((e) => e.namespace === PREVIEW_HOME)!;
const wag = { repo: 'ov-wag', number: 195 } as const;
const frontend = { repo: 'ov-frontend', number: 195 } as const;
const [wagEnv, frontendEnv] = [previewFor(wag), previewFor(frontend)];
const pod = (instance: string, name: string): Endpoint => ({ namespace: PREVIEW_HOME, labels: selectorLabels(name, { namespace: PREVIEW_HOME, instance }) });
const all = (): Obj[] => [...objectsOf(demo), ...objectsOf(wagEnv), ...objectsOf(frontendEnv)];

describe.each([wag, frontend])('the preview of $repo #$number', (p) => {
  const env = previewFor(p);
  const name = previewName(p);
  const objects = objectsOf(env);

  test('is named <repo>-pr-<n>, lives in the demo\'s namespace, and every object carries its name and instance', () => {
    expect(name).toBe(`${p.repo}-pr-${p.number}`);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe(PREVIEW_HOME);
      expect(o.metadata.name.endsWith(`-${name}`)).toBe(true);
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe(name);
    }
    // The demo's chart owns the namespace and its default deny.
    expect(ofKind(objects, 'Namespace')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('default-deny'))).toEqual([]);
  });

  test('runs pr-<n> for its repository\'s tier and the demo\'s pinned image for the other', () => {
    const image = (app: string) => find(objects, 'Deployment', `${app}-${name}`).spec.template.spec.containers[0].image;
    const tier = PREVIEW_REPOS[p.repo];
    expect(image(BACKEND.name)).toBe(`${BACKEND.repository}:${tier === 'backend' ? `pr-${p.number}` : demo.backend.tag}`);
    expect(image(FRONTEND.name)).toBe(`${FRONTEND.repository}:${tier === 'frontend' ? `pr-${p.number}` : demo.frontend.tag}`);
  });

  test('has its own host, search index and database, the demo\'s media, and passes every rule', () => {
    expect(env.host).toBe(`${name}.${demo.host}`);
    const settings = find(objects, 'ConfigMap', `${BACKEND.name}-${name}`).data;
    expect(settings.ES_INDEX).toBe(name);
    expect(settings.OV_DB_HOST).toBe(`${DATABASE.name}-${name}`);
    expect(settings.AWS_STORAGE_BUCKET_NAME).toBe(demo.site.s3Bucket);
    expect(find(objects, 'ConfigMap', `${FRONTEND.name}-${name}`).data.OV_API_URL).toBe(`http://${BACKEND.name}-${name}`);
    const sts = find(objects, 'StatefulSet', `${DATABASE.name}-${name}`);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe('Delete');
    expect(findViolations(objects)).toEqual([]);
  });

  test('is seeded once from the demo database by a Sync hook once its database is up, before it migrates', () => {
    const seed = find(objects, 'Job', `${SEED}-${name}`);
    expect(seed.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', [SYNC_WAVE]: String(WAVES.seed) });
    const env = Object.fromEntries(seed.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ PGHOST: `${DATABASE.name}-${name}`, SOURCE_HOST: DATABASE.name });
    const migrate = ofKind(objects, 'Job').find((j) => j.metadata.labels?.['app.kubernetes.io/name'] === 'ov-wag-migrate')!;
    expect(migrate.metadata.annotations!['argocd.argoproj.io/hook']).toBe('Sync');
    expect(Number(migrate.metadata.annotations![SYNC_WAVE] ?? '0')).toBeGreaterThan(WAVES.seed);
    expect(find(objects, 'StatefulSet', `${DATABASE.name}-${name}`).metadata.annotations![SYNC_WAVE]).toBe(String(WAVES.prerequisites));
    for (const policy of ofKind(objects, 'NetworkPolicy')) expect(policy.metadata.annotations?.[SYNC_WAVE]).toBe(String(WAVES.prerequisites));
    // No scheduled restart, no backups.
    expect(ofKind(objects, 'CronJob').map((c) => c.metadata.labels?.['app.kubernetes.io/name'])).toEqual(['ov-wag-update-index']);
  });
});

describe('isolation: previews and the demo share a namespace, not their pods', () => {
  const objects = all();
  const [a, b] = [previewName(wag), previewName(frontend)];

  test('each preview\'s frontend reaches its own backend only', () => {
    expect(allowed(objects, pod(a, FRONTEND.name), pod(a, BACKEND.name), BACKEND.port)).toBe(true);
    expect(allowed(objects, pod(a, FRONTEND.name), pod(b, BACKEND.name), BACKEND.port)).toBe(false);
    expect(allowed(objects, pod(a, FRONTEND.name), pod(PREVIEW_HOME, BACKEND.name), BACKEND.port)).toBe(false);
    expect(allowed(objects, pod(PREVIEW_HOME, FRONTEND.name), pod(a, BACKEND.name), BACKEND.port)).toBe(false);
  });

  test('each preview\'s backend reaches its own database only', () => {
    expect(allowed(objects, pod(a, BACKEND.name), pod(a, DATABASE.name), DATABASE.port)).toBe(true);
    expect(allowed(objects, pod(a, BACKEND.name), pod(PREVIEW_HOME, DATABASE.name), DATABASE.port)).toBe(false);
    expect(allowed(objects, pod(a, BACKEND.name), pod(b, DATABASE.name), DATABASE.port)).toBe(false);
    expect(allowed(objects, pod(PREVIEW_HOME, BACKEND.name), pod(a, DATABASE.name), DATABASE.port)).toBe(false);
  });

  test('the one exception: the seed Job reads the demo database, and only that one', () => {
    expect(allowed(objects, pod(a, SEED), pod(PREVIEW_HOME, DATABASE.name), DATABASE.port)).toBe(true);
    expect(allowed(objects, pod(a, SEED), pod(a, DATABASE.name), DATABASE.port)).toBe(true);
    expect(allowed(objects, pod(a, SEED), pod(b, DATABASE.name), DATABASE.port)).toBe(false);
    expect(allowed(objects, pod(a, SEED), pod(PREVIEW_HOME, BACKEND.name), BACKEND.port)).toBe(false);
  });

  test('the demo\'s own traffic is unchanged by its previews', () => {
    expect(allowed(objects, pod(PREVIEW_HOME, BACKEND.name), pod(PREVIEW_HOME, DATABASE.name), DATABASE.port)).toBe(true);
    expect(findViolations(objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/instance'] === PREVIEW_HOME || o.kind === 'Namespace'))).toEqual([]);
  });
});

describe('the previews\' ApplicationSet', () => {
  const set = previewSetObject(adopted(demo)) as Obj;

  test('makes an Application per preview folder, pruned with it, in the demo\'s namespace', () => {
    expect(set.kind).toBe('ApplicationSet');
    expect(set.metadata.namespace).toBe(demo.gitops.namespace);
    expect(set.spec.generators[0].git.directories).toEqual([{ path: 'dist/previews/*' }]);
    expect(set.spec.template.spec.destination.namespace).toBe(PREVIEW_HOME);
    expect(set.spec.template.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(set.spec.template.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
  });

  test('passes synth-time validation (the API server judges it against its CRD: test/cluster-apply-*.test.ts, test/cluster/corpus.ts)', () => {
    expect(findViolations([set, applicationObject(adopted(demo))])).toEqual([]);
  });
});

test('previews fall under the registry\'s isolation rules and its maximum', () => {
  const twice = () => loadRegistry(REGISTRY, [wag, wag]);
  expect(twice).toThrow(ConfigError);
  expect(twice).toThrow('preview ov-wag-pr-195 is listed twice');
  // The demo's admin host on the host a preview derives: a shared host is refused, naming both.
  const clash = `ov-wag-pr-7.${REGISTRY[1].host}`;
  const shared = () => loadRegistry([REGISTRY[0], { ...REGISTRY[1], ingress: { ...REGISTRY[1].ingress, adminHost: clash } }], [{ repo: 'ov-wag', number: 7 }]);
  expect(shared).toThrow(`ov-wag-pr-7 (entry 3): shares the host "${clash}" with ${REGISTRY[1].namespace} (entry 2)`);
});
