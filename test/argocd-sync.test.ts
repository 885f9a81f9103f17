/**
 * dist/ synced the way the cluster syncs it: by Argo CD's own sync engine (test/argocd), with the sync options
 * of the Applications synth renders into dist/argocd/, on a control plane with its controllers, a scheduler and kwok's fake
 * nodes (test/cluster/argo-sync.ts). What a sync decides, its hook phases, its waves, the health it waits for
 * between waves and its prune, is the engine's, not a model of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKEND, DATABASE, JOBS } from '../lib/config/images';
import { previewName } from '../lib/config/preview';
import { requiredSecrets } from '../lib/config/secrets';
import { addFakeNode, addVolumes, createSecrets, emptyManifest, playControllers, resultOf, startArgoCd, ArgoCd, SyncResource, SyncResult } from './cluster/argo-sync';
import { ControlPlane, startControlPlane } from './cluster/control-plane';
import { argoManifests, DIST, TEST_PREVIEW, writeManifest } from './cluster/manifests';
import { DEMO, PRODUCTION, variant } from './helpers';

jest.setTimeout(180_000);

const manifest = (namespace: string) => path.join(DIST, `${namespace}.k8s.yaml`);
const PREVIEW = previewName({ repo: 'ov-wag', number: 4242 });
const MIGRATE = new RegExp(`^${JOBS.migrate}-`);

/** The operation succeeded, and every hook in it ran to success. */
function expectSucceeded(result: SyncResult): void {
  expect({ application: result.application, phase: result.phase, message: result.message }).toEqual(
    expect.objectContaining({ application: result.application, phase: 'Succeeded' }));
  for (const hook of result.resources.filter((r) => r.hookType)) expect(`${hook.kind}/${hook.name} ${hook.hookPhase}`).toBe(`${hook.kind}/${hook.name} Succeeded`);
  for (const r of result.resources.filter((r) => !r.hookType)) expect(`${r.kind}/${r.name} ${r.status}`).toMatch(/ (Synced|Pruned|PruneSkipped)$/);
}

/** `later` was acted on in a later round of the operation than every one of `earlier`. */
function expectAfter(later: SyncResource, earlier: readonly SyncResource[]): void {
  for (const e of earlier) expect(`${later.kind}/${later.name} round ${later.round} after ${e.kind}/${e.name} round ${e.round}`).toBe(
    `${later.kind}/${later.name} round ${Math.max(later.round, e.round + 1)} after ${e.kind}/${e.name} round ${e.round}`);
}

/** What the migration Job needs, by kind and name (a preview's carry its name as a suffix). */
function migrationNeeds(result: SyncResult, suffix = ''): SyncResource[] {
  const named = (base: string) => `${base}${suffix}`;
  return [
    resultOf(result, 'ServiceAccount', named(JOBS.migrate)),
    resultOf(result, 'NetworkPolicy', named(JOBS.migrate)),
    resultOf(result, 'ConfigMap', named(BACKEND.name)),
    resultOf(result, 'StatefulSet', named(DATABASE.name)),
    resultOf(result, 'Service', named(DATABASE.name)),
    ...result.resources.filter((r) => r.kind === 'ExternalSecret'),
  ];
}

/** The uids of the namespace's Jobs. */
async function jobUids(plane: ControlPlane, namespace: string): Promise<string[]> {
  return (await plane.request('GET', `/apis/batch/v1/namespaces/${namespace}/jobs`)).body.items.map((j: any) => j.metadata.uid);
}

/** The objects an Application manages (Argo CD's tracking annotation) but its hooks, by kind/name, with their uid. */
async function managedBy(plane: ControlPlane, app: string, namespace: string): Promise<Record<string, string>> {
  const kinds = 'deployments,statefulsets,services,configmaps,serviceaccounts,networkpolicies,cronjobs,ingresses,persistentvolumeclaims,poddisruptionbudgets,horizontalpodautoscalers,roles,rolebindings';
  const items: any[] = JSON.parse(await plane.kubectlOk(['get', kinds, '-n', namespace, '-o', 'json'])).items;
  return Object.fromEntries(items
    .filter((o) => o.metadata.annotations?.['argocd.argoproj.io/tracking-id']?.startsWith(`${app}:`))
    .map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.uid]));
}

describe('Argo CD syncs dist/ on a cluster with nodes', () => {
  let plane: ControlPlane;
  let scratch: string;
  let stopControllers: () => Promise<void>;
  let argocd: ArgoCd;
  /**
   * The syncs, each started as soon as what it follows has finished, so that independent Applications sync
   * side by side as they do in the cluster; each test awaits the syncs it judges.
   */
  let syncs: {
    ov: Promise<SyncResult>;
    demo: Promise<SyncResult>;
    preview: Promise<SyncResult>;
    release: Promise<{ result: SyncResult; esIndex: string; jobsBefore: readonly string[] }>;
    previewRemoved: Promise<{ result: SyncResult; demoBefore: Record<string, string> }>;
    ovPruned: Promise<SyncResult>;
  };

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-argocd-'));
    plane = await startControlPlane({ controllers: true, scheduler: true, kwok: true });
    // Claims: each database's data, each backup's, a preview's database.
    await Promise.all([addFakeNode(plane), addVolumes(plane, 6)]);
    // The operator's prerequisites (README, Secrets): the demo's Secrets by hand, in its namespace made for them;
    // production's from the secret store, through its ExternalSecrets.
    await createSecrets(plane, DEMO.namespace, requiredSecrets(DEMO));
    const storeKeys = new Map(requiredSecrets(PRODUCTION).map(({ name, keys }) => [name, keys]));
    stopControllers = playControllers(plane, (name) => Object.fromEntries((storeKeys.get(name) ?? []).map((k) => [k, 'test-only'])));

    argocd = startArgoCd(plane);
    // The Argo CD objects as synth renders them into dist/argocd/ once the repository's URL is set.
    const applications = argoManifests(scratch);
    const application = (file: string) => applications.find((a) => path.basename(a) === `argocd-${file}`)!;
    const sync = (app: string, file: string, name?: string) => argocd.sync(application(app), file, name ? { name } : {});
    const ov = sync('ov.yaml', manifest(PRODUCTION.namespace));
    const demo = sync('ov-demo.yaml', manifest(DEMO.namespace));
    // A preview's Application syncs on its own, as the ApplicationSet makes it: beside the demo's.
    const preview = sync('ov-demo-previews.yaml', writeManifest(scratch, PREVIEW, TEST_PREVIEW), PREVIEW);
    const release = demo.then(async () => {
      const next = variant(DEMO, { site: { ...DEMO.site, esIndex: `${DEMO.site.esIndex}-next` } });
      const jobsBefore = await jobUids(plane, DEMO.namespace);
      return { result: await sync('ov-demo.yaml', writeManifest(scratch, 'release', next)), esIndex: next.site.esIndex, jobsBefore };
    });
    // While the demo's release runs: its Jobs are left out of what must stay (the release replaces them).
    const previewRemoved = Promise.all([preview, demo]).then(async () => {
      const demoBefore = await managedBy(plane, DEMO.namespace, DEMO.namespace);
      return { result: await sync('ov-demo-previews.yaml', emptyManifest(scratch), PREVIEW), demoBefore };
    });
    const ovPruned = ov.then(() => sync('ov.yaml', emptyManifest(scratch)));
    syncs = { ov, demo, preview, release, previewRemoved, ovPruned };
    // Judged by the tests; a rejection is reported there.
    for (const p of Object.values(syncs)) p.catch(() => undefined);
  });
  afterAll(async () => {
    if (syncs) await Promise.allSettled(Object.values(syncs));
    await argocd?.stop();
    await stopControllers?.();
    await plane?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('a first sync of each namespace finishes with no manual step: the migrations after what they need, before the backend', async () => {
    for (const result of await Promise.all([syncs.ov, syncs.demo])) {
      expectSucceeded(result);
      const migrate = resultOf(result, 'Job', MIGRATE);
      expect(migrate).toMatchObject({ hookType: 'Sync', hookPhase: 'Succeeded' });
      expectAfter(migrate, migrationNeeds(result));
      expectAfter(resultOf(result, 'Deployment', BACKEND.name), [migrate]);
    }
  });

  test('a preview\'s first sync copies the demo\'s database, then migrates, then starts its backend', async () => {
    const result = await syncs.preview;
    expectSucceeded(result);
    const seed = resultOf(result, 'Job', `db-seed-${PREVIEW}`);
    const migrate = resultOf(result, 'Job', MIGRATE);
    expectAfter(seed, migrationNeeds(result, `-${PREVIEW}`));
    expectAfter(migrate, [seed]);
    expectAfter(resultOf(result, 'Deployment', `${BACKEND.name}-${PREVIEW}`), [migrate]);
  });

  test('a release that changes a setting migrates after the setting is applied', async () => {
    const { result, esIndex, jobsBefore } = await syncs.release;
    expectSucceeded(result);
    const settings = resultOf(result, 'ConfigMap', BACKEND.name);
    const migrate = resultOf(result, 'Job', MIGRATE);
    expectAfter(migrate, [settings]);
    const live = JSON.parse(await plane.kubectlOk(['get', 'configmap', BACKEND.name, '-n', DEMO.namespace, '-o', 'json']));
    expect(live.data.ES_INDEX).toBe(esIndex);
    // A new run of the migrations, not the first sync's Job kept.
    const job = JSON.parse(await plane.kubectlOk(['get', 'job', migrate.name, '-n', DEMO.namespace, '-o', 'json']));
    expect(jobsBefore).not.toContain(job.metadata.uid);
    expect(job.status.succeeded).toBe(1);
  });

  test('a preview removed is pruned by its Application, and nothing of the demo goes with it', async () => {
    const { result, demoBefore } = await syncs.previewRemoved;
    expect(Object.keys(demoBefore).length).toBeGreaterThan(10);
    expectSucceeded(result);
    expect(result.resources.filter((r) => r.status !== 'Pruned')).toEqual([]);
    // Pruned in the foreground: gone once the garbage collector has deleted what each owned. A sync never prunes
    // its hooks: the seed and migration Jobs stay until their TTL (a day), or until the Application's deletion.
    const left = async () => Object.keys(await managedBy(plane, PREVIEW, DEMO.namespace));
    for (let i = 0; i < 100 && (await left()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await left()).toEqual([]);
    expect(await managedBy(plane, DEMO.namespace, DEMO.namespace)).toEqual(demoBefore);
  });

  test('a prune of everything leaves the namespace, the database\'s claim and the backup claim', async () => {
    const result = await syncs.ovPruned;
    expectSucceeded(result);
    const kept = result.resources.filter((r) => r.status === 'PruneSkipped').map((r) => `${r.kind}/${r.name}`).sort();
    expect(kept).toEqual(['Namespace/ov', 'PersistentVolumeClaim/db-backup']);
    expect(result.resources.filter((r) => r.status === 'Pruned').length).toBeGreaterThan(20);
    const namespace = JSON.parse(await plane.kubectlOk(['get', 'namespace', PRODUCTION.namespace, '-o', 'json']));
    expect(namespace.metadata.deletionTimestamp).toBeUndefined();
    const claims: any[] = JSON.parse(await plane.kubectlOk(['get', 'pvc', '-n', PRODUCTION.namespace, '-o', 'json'])).items;
    expect(claims.filter((c) => !c.metadata.deletionTimestamp).map((c) => c.metadata.name).sort()).toEqual([`data-${DATABASE.name}-0`, 'db-backup']);
  });
});
