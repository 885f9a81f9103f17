/**
 * From environments to the text of their files, in memory: one cdk8s App with one OpenVault chart per
 * environment, each chart's objects as cdk8s renders them (`toJson()`, what `app.synth()` writes), every object
 * validated, then serialized. Nothing here touches the file system, so a failure can never leave a file half-written.
 */
import { App, Chart } from 'cdk8s';
import { dump } from 'js-yaml';
import { AdoptedGitOps, ArgoCdApplication, manifestFile, PreviewApplicationSet, previewFile } from '../chart/argocd';
import { OpenVault } from '../chart/open-vault';
import { Environment, placementOf, sharesNamespace } from '../config/types';
import { KubeObject } from '../objects/kube-object';
import { renderTopology } from '../report/topology/page';
import { renderWorld } from '../report/topology/world';
import { assertValid, ValidationError, Violation } from './validate';

export interface Rendered {
  readonly env: Environment;
  readonly objects: readonly KubeObject[];
  /** The manifest file, every object of the environment as one YAML stream. */
  readonly yaml: string;
}

/** A file to write, relative to the output folder. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

/** The objects of one chart as cdk8s renders them. A fresh App each: charts of one App are resolved together. */
function objectsOf(make: (app: App) => Chart): KubeObject[] {
  return make(new App()).toJson() as KubeObject[];
}

/** The environment's chart in `app`, named by its namespace (a preview by its instance): cdk8s's file name for it. */
export const chartOf = (app: App, env: Environment): OpenVault => new OpenVault(app, placementOf(env).instance, { env });

export function buildObjects(env: Environment): KubeObject[] {
  return objectsOf((app) => chartOf(app, env));
}

/** The environment's Argo CD settings, once its repository URL is set. */
export function adoptedGitOps(env: Environment): AdoptedGitOps | undefined {
  const { gitops } = env;
  return gitops.repoURL === undefined ? undefined : { ...gitops, repoURL: gitops.repoURL };
}

/** What synth says when it renders no Argo CD objects because the repository URL is not set. */
export const NO_GITOPS_NOTICE = 'no Argo CD objects rendered: set REPO_URL in lib/config/environments.ts to the git URL of the repository that holds this dist/';

function adopted(env: Environment): AdoptedGitOps {
  const gitops = adoptedGitOps(env);
  if (!gitops) throw new Error(`${env.namespace}: gitops.repoURL is not set`);
  return gitops;
}

/**
 * One YAML stream, each object a document: js-yaml's block style, keys in the order given, no folding, no anchors.
 * (The same objects as cdk8s's own `Yaml` writes them, which quotes a little differently and takes several times
 * as long: the largest single cost of a synth.)
 */
export const toYaml = (...objects: readonly object[]): string => objects.map((o) => dump(o, { lineWidth: -1, noRefs: true, quotingType: '"' })).join('---\n');

/** The environment's Argo CD Application (a namespace of the registry; previews come from the ApplicationSet). */
export function applicationObject(env: Environment): KubeObject {
  return objectsOf((app) => new ArgoCdApplication(app, 'argocd', { namespace: env.namespace, gitops: adopted(env) }))[0];
}

/** The ApplicationSet of the previews in `home`'s namespace. */
export function previewSetObject(home: Environment): KubeObject {
  return objectsOf((app) => new PreviewApplicationSet(app, 'previews', { namespace: home.namespace, gitops: adopted(home) }))[0];
}

/** Builds the environment's chart in `app`, validates it (throws ValidationError) and serializes it. */
export function renderEnvironment(env: Environment, app: App = new App()): Rendered {
  const objects = chartOf(app, env).toJson() as KubeObject[];
  assertValid(objects);
  return { env, objects, yaml: toYaml(...objects) };
}

/** Where an environment's manifest goes: a namespace's own file, or a preview's in its folder. */
export function manifestPath(env: Environment): string {
  return sharesNamespace(env) ? previewFile(placementOf(env).instance) : manifestFile(env.namespace);
}

/** The files of one rendered environment: a namespace's manifest, topology page and Application; a preview's manifest. */
export function filesOf(r: Rendered, hasPreviews: boolean, previews: readonly Environment[] = []): RenderedFile[] {
  const { env } = r;
  if (sharesNamespace(env)) return [{ path: manifestPath(env), content: r.yaml }];
  const outside = renderWorld([env, ...previews]);
  const page = [{ path: manifestPath(env), content: r.yaml }, { path: `${env.namespace}.md`, content: renderTopology(env.namespace, r.objects, outside) }];
  if (!adoptedGitOps(env)) return page;
  const gitops = [applicationObject(env), ...(hasPreviews ? [previewSetObject(env)] : [])];
  assertValid(gitops);
  return [
    ...page,
    { path: `argocd/${env.namespace}.yaml`, content: toYaml(gitops[0]) },
    ...(hasPreviews ? [{ path: `argocd/${env.namespace}-previews.yaml`, content: toYaml(gitops[1]) }] : []),
  ];
}

/**
 * Renders every environment and collects the failures of all of them before giving up, so one run shows
 * every problem of every namespace. `previewHome` is the namespace whose Application set lists the previews.
 */
export function renderAll(
  envs: readonly Environment[],
  previewHome: string,
  render: (env: Environment, app: App) => Rendered = renderEnvironment,
  app: App = new App(),
): { readonly app: App; readonly rendered: Rendered[]; readonly files: RenderedFile[] } {
  const rendered: Rendered[] = [];
  const violations: Violation[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      violations.push(...error.violations);
      return undefined;
    }
  };
  for (const env of envs) {
    const r = attempt(() => render(env, app));
    if (r) rendered.push(r);
  }
  const previewsIn = (ns: string) => rendered.map((r) => r.env).filter((e) => sharesNamespace(e) && e.namespace === ns);
  const files = rendered.flatMap((r) => attempt(() => filesOf(r, !sharesNamespace(r.env) && r.env.namespace === previewHome, previewsIn(r.env.namespace))) ?? []);
  if (violations.length > 0) throw new ValidationError(violations);
  return { app, rendered, files };
}
