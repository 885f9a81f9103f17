/**
 * `npm run synth`: which environments to synthesize. Everything is rendered and validated in memory
 * before a single file in the output folder changes, and then the files are replaced all together.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENTS, environmentFor, NAMESPACES, PREVIEW_HOME, PREVIEWS } from '../config/environments';
import { projectPath } from '../config/project';
import { Environment, placementOf, sharesNamespace } from '../config/types';
import { formatSummary, SummaryRow } from '../report/summary';
import { EXIT, fail, Io, parseOptions } from './exit';
import { adoptedGitOps, manifestPath, NO_GITOPS_NOTICE, Rendered, renderAll, renderEnvironment } from './render';
import { writeAtomically } from './write';

export { EXIT };
export type { Io };

/** Where files go unless --outdir says otherwise: the project's dist/, wherever the command starts. */
export const DEFAULT_OUTDIR = 'dist';
export const defaultOutdir = (): string => projectPath(DEFAULT_OUTDIR);
/** The one file the cdk8s CLI gets in its own folder (CDK8S_OUTDIR): every namespace's objects, one stream. */
export const CDK8S_STREAM = 'open-vault.k8s.yaml';

export const USAGE = `Usage: npm run synth -- [options]

Renders the Open Vault manifests into ${DEFAULT_OUTDIR}/: for each namespace <ns>.k8s.yaml
(kubectl apply -f), <ns>.md (topology) and argocd/<ns>.yaml (Argo CD Application); for each
pull-request preview previews/<name>/<name>.k8s.yaml, and argocd/${PREVIEW_HOME}-previews.yaml. The Argo CD
objects only once REPO_URL (lib/config/environments.ts) names the repository that holds this output.
Image tags are in lib/config/releases.json (npm run release), previews in lib/config/previews.json
(npm run preview).

Options:
  -n, --namespace NS   synthesize only NS (repeatable; ${PREVIEW_HOME} includes its previews); other
                       files stay as they are. Valid: ${NAMESPACES.join(', ')}. Default: every namespace.
      --outdir DIR     output folder (default ${DEFAULT_OUTDIR})
      --stdout         print the namespaces' objects as one YAML stream; write nothing
  -q, --quiet          print nothing on success
  -h, --help           show this help

Environment:
  CDK8S_OUTDIR   set by cdk8s synth: the stream also goes to CDK8S_OUTDIR/${CDK8S_STREAM}
  NO_COLOR       no colour in the summary

Exit codes: 0 written; 1 the output failed validation; 2 a bad option, namespace or registry
value; 3 the machine refused (a file, a folder, the disk, or another synth holding the lock);
70 a fault of this program. On 1, 2, 3 and 70 nothing in the output folder has changed.
`;

/** The files this tool owns in the output folder; anything else there is left alone. */
export function isManaged(relativePath: string): boolean {
  const p = relativePath.split(path.sep).join('/');
  return /^[a-z0-9-]+\.(k8s\.yaml|md)$/.test(p) || /^argocd\/[a-z0-9-]+\.yaml$/.test(p) || /^previews\/([a-z0-9-]+)\/\1\.k8s\.yaml$/.test(p);
}

/** The environments to render: the registry's namespaces and the previews they hold. */
export interface Registry {
  readonly environments: readonly Environment[];
  readonly previews: readonly Environment[];
}

/** The environments a request names: the chosen namespaces' own, with the previews of the one that holds them. */
function selected(registry: Registry, namespaces: readonly string[] | undefined): Environment[] {
  const envs = namespaces
    ? [...new Set(namespaces)].map((ns) => registry.environments.find((e) => e.namespace === ns) ?? environmentFor(ns))
    : [...registry.environments];
  return envs.flatMap((e) => (e.namespace === PREVIEW_HOME ? [e, ...registry.previews] : [e]));
}

export interface SynthRequest {
  /** @default every namespace (and then files of environments that no longer exist are removed) */
  readonly namespaces?: readonly string[];
  readonly outdir: string;
  readonly stdout?: boolean;
  readonly quiet?: boolean;
  /** Runs once everything rendered and validated, before the output folder changes (a state file's write). */
  readonly beforeWrite?: () => void;
}

/** Every object of the rendered namespaces as one stream, documents separated so that kubectl reads each. */
export function stream(rendered: readonly Rendered[]): string {
  return rendered.map((r) => r.yaml).join('---\n');
}

/** Renders, checks and writes the request; throws what went wrong. */
export function synthesize(registry: Registry, request: SynthRequest, vars: NodeJS.ProcessEnv, io: Io, render: (env: Environment) => Rendered = renderEnvironment): void {
  const { rendered, files } = renderAll(selected(registry, request.namespaces), PREVIEW_HOME, render);
  if (request.stdout) {
    io.stdout.write(stream(rendered));
    return;
  }
  request.beforeWrite?.();
  writeAtomically(request.outdir, files, {
    prune: request.namespaces === undefined,
    managed: isManaged,
    onWait: (message) => io.stderr.write(`${message}\n`),
  });
  // The cdk8s CLI reads (and prints, with --stdout) the manifests of its own folder, which it empties first.
  if (vars.CDK8S_OUTDIR) {
    fs.mkdirSync(vars.CDK8S_OUTDIR, { recursive: true });
    fs.writeFileSync(path.join(vars.CDK8S_OUTDIR, CDK8S_STREAM), stream(rendered));
  }
  if (!request.quiet) {
    const rows: SummaryRow[] = rendered.map((r) => ({
      namespace: sharesNamespace(r.env) ? `${r.env.namespace}/${placementOf(r.env).instance}` : r.env.namespace,
      file: path.join(request.outdir, manifestPath(r.env)),
      objects: r.objects,
      bytes: Buffer.byteLength(r.yaml),
    }));
    io.stdout.write(formatSummary(rows, { color: Boolean(io.stdout.isTTY) && !vars.NO_COLOR }));
    if (rendered.some((r) => !sharesNamespace(r.env) && !adoptedGitOps(r.env))) io.stdout.write(`${NO_GITOPS_NOTICE}\n`);
  }
}

/** The committed registry: its namespaces and previews. */
export const COMMITTED: Registry = { environments: ENVIRONMENTS, previews: PREVIEWS };

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io, render: (env: Environment) => Rendered = renderEnvironment): number {
  try {
    const { values } = parseOptions(argv, {
      namespace: { type: 'string', short: 'n', multiple: true },
      outdir: { type: 'string' },
      stdout: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    synthesize(COMMITTED, {
      namespaces: values.namespace as string[] | undefined,
      outdir: (values.outdir as string | undefined) ?? defaultOutdir(),
      stdout: values.stdout as boolean | undefined,
      quiet: values.quiet as boolean | undefined,
    }, vars, io, render);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  }
}
