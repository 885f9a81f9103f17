/**
 * The command line: which environments to synthesize, with which image tags. Everything is
 * rendered and validated in memory before a single file in the output folder changes.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { manifestFile } from '../chart/argocd';
import { ENVIRONMENTS, environmentFor, NAMESPACES } from '../config/environments';
import { ConfigError, Environment, tagProblem } from '../config/types';
import { formatSummary, SummaryRow } from '../report/summary';
import { renderTopology } from '../report/topology';
import { writeAtomically } from '../output';
import { renderEnvironment } from './render';
import { ValidationError } from './validate';

export const EXIT = { ok: 0, invalidOutput: 1, usage: 2 } as const;

/** Where files go unless `cdk8s synth` says otherwise through CDK8S_OUTDIR. */
export const DEFAULT_OUTDIR = 'dist';

const TAG_VARIABLES = { frontend: 'OV_FRONTEND_TAG', backend: 'OV_BACKEND_TAG' } as const;

export const USAGE = `Usage: npm run synth -- [options]

Renders the Open Vault manifests into ${DEFAULT_OUTDIR}/: for each namespace <ns>.k8s.yaml
(kubectl apply -f), <ns>.md (topology) and argocd/<ns>.yaml (Argo CD Application).

Options:
  -n, --namespace NS     synthesize only NS (repeatable); other files stay as they are.
                         Valid: ${NAMESPACES.join(', ')}. Default: every namespace.
      --frontend-tag TAG ov-frontend image tag for every namespace synthesized
      --backend-tag TAG  ov-wag image tag for every namespace synthesized
  -q, --quiet            print nothing on success
  -h, --help             show this help

Environment:
  ${TAG_VARIABLES.frontend}, ${TAG_VARIABLES.backend}   the same as the tag options; an option wins
  CDK8S_OUTDIR                     output folder (default ${DEFAULT_OUTDIR}; set by cdk8s synth)
  NO_COLOR                         no colour in the summary

Exit codes: 0 written, 1 the output failed validation (nothing written),
2 bad command line or environment (nothing written).
`;

export interface Io {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown };
}

/** What renders one environment. @default renderEnvironment (tests hand in one that fails) */
export type Render = typeof renderEnvironment;

interface Request {
  /** The environments asked for with --namespace; undefined means every one. */
  readonly selected: readonly Environment[] | undefined;
  readonly tags: { readonly frontend?: string; readonly backend?: string };
  readonly quiet: boolean;
  readonly help: boolean;
}

/** Reads and checks the command line and the tag variables; throws ConfigError naming the bad value. */
export function parseRequest(argv: readonly string[], vars: NodeJS.ProcessEnv): Request {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        namespace: { type: 'string', short: 'n', multiple: true },
        'frontend-tag': { type: 'string' },
        'backend-tag': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // node:util's messages may span lines; the command line error is one.
    throw new ConfigError(`${(error as Error).message.split('\n').join(' ').replace(/\.$/, '')}; run with --help for usage`);
  }
  const tag = (tier: 'frontend' | 'backend'): string | undefined => {
    const flag = values[`${tier}-tag`];
    const variable = vars[TAG_VARIABLES[tier]];
    const [source, value] = flag !== undefined ? [`--${tier}-tag`, flag] : [TAG_VARIABLES[tier], variable];
    if (value === undefined) return undefined;
    const problem = value === '' ? 'must not be empty' : tagProblem(value);
    if (problem) throw new ConfigError(`${source} ${JSON.stringify(value)}: ${problem}`);
    return value;
  };
  return {
    selected: values.namespace ? [...new Set(values.namespace)].map(environmentFor) : undefined,
    tags: { frontend: tag('frontend'), backend: tag('backend') },
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
}

function withTags(env: Environment, tags: Request['tags']): Environment {
  return {
    ...env,
    frontend: tags.frontend ? { ...env.frontend, tag: tags.frontend } : env.frontend,
    backend: tags.backend ? { ...env.backend, tag: tags.backend } : env.backend,
  };
}

/** The files this tool owns in the output folder; anything else there is left alone. */
export function isManaged(relativePath: string): boolean {
  return /^[a-z0-9-]+\.(k8s\.yaml|md)$/.test(relativePath) || /^argocd[\\/][a-z0-9-]+\.yaml$/.test(relativePath);
}

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io, render: Render = renderEnvironment): number {
  let request: Request;
  try {
    request = parseRequest(argv, vars);
  } catch (error) {
    return fail(io, error);
  }
  if (request.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const outdir = vars.CDK8S_OUTDIR || DEFAULT_OUTDIR;
  const envs = (request.selected ?? ENVIRONMENTS).map((e) => withTags(e, request.tags));
  try {
    const rendered = envs.map((env) => render(env));
    const files = rendered.flatMap((r) => [
      { path: manifestFile(r.env.namespace), content: r.yaml },
      { path: `${r.env.namespace}.md`, content: renderTopology(r.env.namespace, r.objects) },
      { path: path.join('argocd', `${r.env.namespace}.yaml`), content: r.application },
    ]);
    writeAtomically(outdir, files, { prune: request.selected === undefined, managed: isManaged });
    if (!request.quiet) {
      const rows: SummaryRow[] = rendered.map((r) => ({
        namespace: r.env.namespace,
        file: path.join(outdir, manifestFile(r.env.namespace)),
        objects: r.objects,
        bytes: Buffer.byteLength(r.yaml),
      }));
      io.stdout.write(formatSummary(rows, { color: Boolean(io.stdout.isTTY) && !vars.NO_COLOR }));
    }
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  }
}

function fail(io: Io, error: unknown): number {
  if (error instanceof ConfigError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ValidationError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.invalidOutput;
  }
  throw error;
}
