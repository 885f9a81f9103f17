/**
 * The synth command, which is also the cdk8s app (main.ts): one App with one OpenVault chart per environment.
 * Run by the cdk8s CLI (CDK8S_OUTDIR set), cdk8s writes its own output folder (`app.synth()`) and nothing else
 * is written. Run directly (`npm run synth`), the same charts go to dist/: under the output folder's lock the
 * state files are read, everything is rendered and validated in memory, and then written as one transaction
 * (lib/synth/write.ts). release and preview (lib/synth/state.ts) go through here with a state edit.
 */
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { App } from 'cdk8s';
import { ENVIRONMENTS, loadRegistry, NAMESPACES, PREVIEW_HOME, PREVIEWS, registryWith, Releases, releasesSchema, STATE } from '../config/environments';
import { Preview, previewsFileSchema } from '../config/preview';
import { projectPath } from '../config/project';
import { readState, stateDir } from '../config/state';
import { ConfigError, Environment, placementOf, sharesNamespace } from '../config/types';
import { formatSummary, SummaryRow } from '../report/summary';
import { EXIT, fail, Io, parseOptions } from './exit';
import { adoptedGitOps, manifestPath, NO_GITOPS_NOTICE, Rendered, renderAll } from './render';
import { FileSystem, Output, RECORD } from './write';

export { EXIT };
export type { Io };

/** Where files go unless --outdir says otherwise: the project's dist/, wherever the command starts. */
export const DEFAULT_OUTDIR = 'dist';
export const defaultOutdir = (): string => projectPath(DEFAULT_OUTDIR);

export const USAGE = `Usage: npm run synth -- [options]

Renders the Open Vault manifests into ${DEFAULT_OUTDIR}/: for each namespace <ns>.k8s.yaml
(kubectl apply -f), <ns>.md (topology) and argocd/<ns>.yaml (Argo CD Application); for each
pull-request preview previews/<name>/<name>.k8s.yaml, and argocd/${PREVIEW_HOME}-previews.yaml. The Argo CD
objects only once REPO_URL (lib/config/environments.ts) names the repository that holds this output.
${RECORD} records what synth wrote: it deletes nothing else. Image tags are in
lib/config/releases.json (npm run release), previews in lib/config/previews.json (npm run preview).

Options:
  -n, --namespace NS   synthesize only NS (repeatable; ${PREVIEW_HOME} includes its previews); other
                       files stay as they are. Valid: ${NAMESPACES.join(', ')}. Default: every namespace.
      --outdir DIR     output folder (default ${DEFAULT_OUTDIR})
      --state-dir DIR  where releases.json and previews.json are (default lib/config)
      --stdout         print the namespaces' objects as one YAML stream; write nothing
  -q, --quiet          print nothing on success
  -h, --help           show this help

Environment:
  CDK8S_OUTDIR   set by cdk8s synth: cdk8s writes one <chart>.k8s.yaml per environment there, and
                 nothing else is written
  NO_COLOR       no colour in the summary

Exit codes: 0 written; 1 the output failed validation; 2 a bad option, namespace or registry
value; 3 the machine refused (a file, a folder, the disk, or another command holding the lock);
70 a fault of this program. On 1, 2, 3 and 70 nothing in the output folder has changed.
`;

/** The committed state: the tags of each namespace and the previews. */
export interface State {
  readonly releases: Releases;
  readonly previews: readonly Preview[];
}

export function readStateFiles(dir: string): State {
  return { releases: readState(dir, 'releases.json', releasesSchema).value, previews: readState(dir, 'previews.json', previewsFileSchema).value.previews };
}

/** A command's change of one state file, made from the state as it is under the lock. */
export interface StateEdit {
  readonly state: State;
  readonly file: string;
  readonly content: string;
}

export interface SynthRequest {
  /** @default every namespace (and then the recorded files of environments that no longer exist are removed) */
  readonly namespaces?: readonly string[];
  readonly outdir: string;
  readonly stateDir: string;
  readonly stdout?: boolean;
  readonly quiet?: boolean;
  /** release and preview: the state file to change; called under the lock, before anything is rendered. */
  readonly edit?: (state: State) => StateEdit | undefined;
}

/** What tests replace: how an environment renders, the file system, the lock's patience. */
export interface Seams {
  readonly render?: (env: Environment, app: App) => Rendered;
  readonly fs?: FileSystem;
  readonly lockTimeoutMs?: number;
}

/** Every object of the rendered namespaces as one stream, documents separated so that kubectl reads each. */
export function stream(rendered: readonly Rendered[]): string {
  return rendered.map((r) => r.yaml).join('---\n');
}

/** The environments a request names, the chosen namespaces' own with the previews of the one that holds them. */
function selected(state: State, namespaces: readonly string[] | undefined): Environment[] {
  // The registry as loaded at start while the state is what it was then (it is checked once either way).
  const registry = isDeepStrictEqual(state, { releases: STATE.releases, previews: STATE.previews })
    ? { environments: ENVIRONMENTS, previews: PREVIEWS }
    : loadRegistry(registryWith(state.releases), state.previews);
  const envs = namespaces
    ? [...new Set(namespaces)].map((ns) => {
      const env = registry.environments.find((e) => e.namespace === ns);
      if (!env) throw new ConfigError(`unknown namespace ${JSON.stringify(ns)}: valid namespaces are ${registry.environments.map((e) => e.namespace).join(', ')}`);
      return env;
    })
    : registry.environments;
  return envs.flatMap((e) => (e.namespace === PREVIEW_HOME ? [e, ...registry.previews] : [e]));
}

/** Renders, checks and writes the request; throws what went wrong. */
export function synthesize(request: SynthRequest, vars: NodeJS.ProcessEnv, io: Io, seams: Seams = {}): void {
  const cdk8sOutdir = vars.CDK8S_OUTDIR;
  if (request.stdout || (cdk8sOutdir && !request.edit)) {
    const { app, rendered } = renderAll(selected(readStateFiles(request.stateDir), request.namespaces), PREVIEW_HOME, seams.render, new App({ outdir: cdk8sOutdir ?? '.' }));
    if (request.stdout) io.stdout.write(stream(rendered));
    else app.synth(); // cdk8s writes its own folder; its CLI tells what it wrote
    return;
  }
  Output.locked(request.outdir, { fs: seams.fs, lockTimeoutMs: seams.lockTimeoutMs, onWait: (message) => io.stderr.write(`${message}\n`) }, (out) => {
    let state = readStateFiles(request.stateDir);
    const edit = request.edit?.(state);
    // An edit with nothing to do (the state is already as asked) writes nothing.
    if (request.edit && !edit) return;
    if (edit) state = edit.state;
    const { rendered, files } = renderAll(selected(state, request.namespaces), PREVIEW_HOME, seams.render);
    out.commit({ files, prune: request.namespaces === undefined, state: edit && { path: path.join(request.stateDir, edit.file), content: edit.content } });
    if (request.quiet) return;
    const rows: SummaryRow[] = rendered.map((r) => ({
      namespace: sharesNamespace(r.env) ? `${r.env.namespace}/${placementOf(r.env).instance}` : r.env.namespace,
      file: path.join(request.outdir, manifestPath(r.env)),
      objects: r.objects,
      bytes: Buffer.byteLength(r.yaml),
    }));
    io.stdout.write(formatSummary(rows, { color: Boolean(io.stdout.isTTY) && !vars.NO_COLOR }));
    if (rendered.some((r) => !sharesNamespace(r.env) && !adoptedGitOps(r.env))) io.stdout.write(`${NO_GITOPS_NOTICE}\n`);
  });
}

/** The options every command that writes shares. */
export const WRITING_OPTIONS = {
  outdir: { type: 'string' },
  'state-dir': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where a command reads and writes: the project's own folders unless the options say otherwise. */
export function folders(values: Record<string, unknown>): { outdir: string; stateDir: string; quiet: boolean } {
  return {
    outdir: (values.outdir as string | undefined) ?? defaultOutdir(),
    stateDir: (values['state-dir'] as string | undefined) ?? stateDir(),
    quiet: Boolean(values.quiet),
  };
}

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io, seams: Seams = {}): number {
  try {
    const { values } = parseOptions(argv, { ...WRITING_OPTIONS, namespace: { type: 'string', short: 'n', multiple: true }, stdout: { type: 'boolean' } });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    synthesize({ ...folders(values), namespaces: values.namespace as string[] | undefined, stdout: values.stdout as boolean | undefined }, vars, io, seams);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  }
}
