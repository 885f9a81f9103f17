/**
 * dist/ applied to a real API server (test/cluster/control-plane.ts) the two ways operators apply it: plain
 * client-side `kubectl apply -f` (the README's path) and server-side apply, each on a control plane of its own
 * (test/cluster-apply-*.test.ts). kubectl runs with --warnings-as-errors: a deprecated field or an unknown one
 * fails as an error would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { previewFor } from '../../lib/config/environments';
import { variant } from '../helpers';
import { ARGO_CD_NAMESPACE, ControlPlane, startControlPlane } from './control-plane';
import { argoManifests, DEMO, DIST, distManifests, files, TEST_PREVIEW, writeManifest } from './manifests';

/** A preview added and removed over the earlier state (TEST_PREVIEW is part of it). */
const ADDED_PREVIEW = previewFor({ repo: 'ov-frontend', number: 4243 });

/** The two ways operators apply dist/: kubectl's default client-side apply (the README's path), and server-side apply. */
export const MODES = {
  'client-side': ['apply', '--warnings-as-errors'],
  'server-side': ['apply', '--server-side', '--field-manager=open-vault-test', '--warnings-as-errors'],
} as const;

/** resourceVersion of every object the files hold, by kind/namespace/name. */
async function versions(plane: ControlPlane, paths: readonly string[]): Promise<Record<string, string>> {
  const list = JSON.parse(await plane.kubectlOk(['get', ...files(paths), '-o', 'json']));
  const items: any[] = list.kind === 'List' ? list.items : [list];
  return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

/** The apply tests for one mode, on a control plane of their own (one file per mode, so both run side by side). */
export function applySuite(mode: keyof typeof MODES): void {
  describe(`${mode} apply`, () => {
    const apply = MODES[mode];
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
      const namespaces = distManifests().filter((f) => path.dirname(f) === DIST);
      const others = [...distManifests().filter((f) => !namespaces.includes(f)), writeManifest(scratch, 'preview', TEST_PREVIEW)];
      const argo = argoManifests(scratch);
      const manifests = [...namespaces, ...others];
      // Each file as operators apply it, independent ones side by side: the namespaces' files, then what lives in them.
      const round = async () => {
        await Promise.all(namespaces.map((f) => applied([f])));
        await Promise.all([...others.map((f) => applied([f])), applied(argo, ARGO_CD_NAMESPACE)]);
      };
      await round();
      // The first re-apply may still settle defaults (a claim's resourceVersion moves once, whatever its content).
      await round();
      const before = await versions(plane, [...manifests, ...argo]);
      await round();
      expect(await versions(plane, [...manifests, ...argo])).toEqual(before);
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
      // The earlier state is dist/ as the test above applied it.
      for (const file of [release, rollback, request, setting, rollback]) await applied([file]);
      const preview = writeManifest(scratch, 'preview-added', ADDED_PREVIEW);
      await applied([preview]);
      // Removed: the preview's own objects go (Argo CD prunes them; by hand, `kubectl delete -f`), the demo's stay as they were.
      const demoBefore = await versions(plane, [rollback]);
      await plane.kubectlOk(['delete', '--wait=false', ...files([preview])]);
      await applied([rollback]);
      expect(await versions(plane, [rollback])).toEqual(demoBefore);
    });
  });
}
