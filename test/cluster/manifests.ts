/** The files operators apply (dist/ as committed) and rendered variants of them, for the tests against the API server. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENTS, PREVIEW_HOME, previewFor } from '../../lib/config/environments';
import { Environment } from '../../lib/config/types';
import { applicationObject, buildObjects, previewSetObject, toYaml } from '../../lib/synth/render';
import { adopted } from '../helpers';

export const DIST = path.join(__dirname, '..', '..', 'dist');

/** A preview the tests add, whatever previews the registry holds today. */
export const TEST_PREVIEW = previewFor({ repo: 'ov-wag', number: 4242 });
export const DEMO = ENVIRONMENTS.find((e) => e.namespace === PREVIEW_HOME)!;

/** Every manifest in dist/ (namespaces and committed previews), as `kubectl apply -f dist/` and Argo CD read them. */
export function distManifests(): string[] {
  const found = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() && e.name !== 'argocd' ? found(path.join(dir, e.name)) : e.name.endsWith('.k8s.yaml') ? [path.join(dir, e.name)] : []);
  // Namespaces first: a preview's file has none of its own.
  return found(DIST).sort((a, b) => path.dirname(a).length - path.dirname(b).length || a.localeCompare(b));
}

/**
 * The Applications and the previews' ApplicationSet, applied in Argo CD's namespace, as synth renders them into
 * dist/argocd/ once the repository's URL is set (here the example one), written to `dir`.
 */
export function argoManifests(dir: string): string[] {
  const write = (name: string, object: unknown) => {
    const file = path.join(dir, `argocd-${name}.yaml`);
    fs.writeFileSync(file, toYaml(object as object));
    return file;
  };
  return [
    ...ENVIRONMENTS.map((env) => write(env.namespace, applicationObject(adopted(env)))),
    write(`${PREVIEW_HOME}-previews`, previewSetObject(adopted(DEMO))),
  ];
}

/** Writes an environment's manifest, rendered as synth renders it, to `dir`; returns its path. */
export function writeManifest(dir: string, name: string, env: Environment): string {
  const file = path.join(dir, `${name}.k8s.yaml`);
  fs.writeFileSync(file, toYaml(...buildObjects(env)));
  return file;
}

/** `-f a -f b ...` */
export const files = (paths: readonly string[]) => paths.flatMap((p) => ['-f', p]);
