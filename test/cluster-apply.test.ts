/**
 * dist/ applied to a real API server (test/cluster/control-plane.ts) the two ways operators apply it: plain
 * client-side `kubectl apply -f` (the README's path) and server-side apply, each on a control plane of its own.
 * kubectl runs with --warnings-as-errors: a deprecated field or an unknown one fails as an error would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ARGO_CD_NAMESPACE, ControlPlane, startControlPlane } from './cluster/control-plane';
import { argoManifests, DEMO, distManifests, files, TEST_PREVIEW, writeManifest } from './cluster/manifests';
import { variant } from './helpers';

jest.setTimeout(120_000);

const MODES = {
  'client-side': ['apply', '--warnings-as-errors'],
  'server-side': ['apply', '--server-side', '--field-manager=open-vault-test', '--warnings-as-errors'],
} as const;

/** resourceVersion of every object the files hold, by kind/namespace/name. */
async function versions(plane: ControlPlane, paths: readonly string[]): Promise<Record<string, string>> {
  const list = JSON.parse(await plane.kubectlOk(['get', ...files(paths), '-o', 'json']));
  const items: any[] = list.kind === 'List' ? list.items : [list];
  return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

describe.each(Object.entries(MODES))('%s apply', (mode, apply) => {
  let plane: ControlPlane;
  let scratch: string;
  const applied = (paths: readonly string[], namespace?: string) =>
    plane.kubectlOk([...apply, ...(namespace ? ['-n', namespace] : []), ...files(paths)]);
  const diff = (paths: readonly string[]) => plane.kubectl(['diff', ...(mode === 'server-side' ? ['--server-side', '--field-manager=open-vault-test'] : []), ...files(paths)]);

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-apply-'));
    plane = await startControlPlane();
  });
  afterAll(async () => {
    await plane?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('the vendored CRDs are Established and Argo CD\'s namespace exists', async () => {
    const crds = JSON.parse(await plane.kubectlOk(['get', 'crd', '-o', 'json'])).items;
    expect(crds.length).toBeGreaterThan(0);
    for (const crd of crds) {
      expect(crd.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]));
    }
    await plane.kubectlOk(['get', 'namespace', ARGO_CD_NAMESPACE]);
  });

  test('every object of every namespace, of a preview and of Argo CD applies with no warning, and from the second re-apply on nothing changes', async () => {
    const manifests = [...distManifests(), writeManifest(scratch, 'preview', TEST_PREVIEW)];
    const argo = argoManifests(scratch);
    await applied(manifests);
    await applied(argo, ARGO_CD_NAMESPACE);
    // The first re-apply may still settle defaults (a claim's resourceVersion moves once, whatever its content).
    await applied(manifests);
    await applied(argo, ARGO_CD_NAMESPACE);
    const before = await versions(plane, [...manifests]);
    const argoBefore = await versions(plane, argo);
    await applied(manifests);
    await applied(argo, ARGO_CD_NAMESPACE);
    expect(await versions(plane, manifests)).toEqual(before);
    expect(await versions(plane, argo)).toEqual(argoBefore);
    const d = await diff(manifests);
    expect({ code: d.code, diff: d.stdout, error: d.stderr }).toEqual({ code: 0, diff: '', error: '' });
  });

  test('the changes operators make apply over the earlier state: a release and its rollback, a resource request, a setting, a preview added and removed', async () => {
    const step = (name: string, env = DEMO) => writeManifest(scratch, name, env);
    const release = step('release', variant(DEMO, { backend: { ...DEMO.backend, tag: 'pr-4242' } }));
    const rollback = step('rollback');
    const request = step('request', variant(DEMO, {
      backend: { ...DEMO.backend, resources: { ...DEMO.backend.resources, requests: { ...DEMO.backend.resources.requests, cpu: '123m' } } },
    }));
    const setting = step('setting', variant(DEMO, { host: `changed.${DEMO.host}` }));
    for (const file of [rollback, release, rollback, request, setting, rollback]) await applied([file]);
    const preview = writeManifest(scratch, 'preview-added', TEST_PREVIEW);
    await applied([preview]);
    // Removed: the preview's own objects go (Argo CD prunes them; by hand, `kubectl delete -f`), the demo's stay as they were.
    const demoBefore = await versions(plane, [rollback]);
    await plane.kubectlOk(['delete', '--wait=false', ...files([preview])]);
    await applied([rollback]);
    expect(await versions(plane, [rollback])).toEqual(demoBefore);
  });
});
