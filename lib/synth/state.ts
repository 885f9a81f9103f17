/**
 * The commands that change committed state and render it: `npm run release` writes the tags of a namespace
 * into lib/config/releases.json, `npm run preview` the set of previews into lib/config/previews.json. Each
 * checks and renders the new registry in memory first, writes the state file only once that passed, and
 * puts it back if writing dist/ then fails: the state file and dist/ always agree.
 */
import * as path from 'node:path';
import { loadRegistry, NAMESPACES, registryWith, Releases, releasesSchema } from '../config/environments';
import { Preview, previewName, previewsFileSchema, PREVIEW_REPOS, PreviewRepo } from '../config/previews';
import { tagProblem } from '../config/rules';
import { checkedState, readState, stateDir } from '../config/state';
import { ConfigError } from '../config/types';
import { DEFAULT_OUTDIR, defaultOutdir, synthesize } from './cli';
import { EXIT, fail, Io, parseOptions } from './exit';
import { writeAtomically } from './write';

/** JSON as the state files hold it: two-space indent, a final newline. */
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Writes a state file, and gives back what puts the old one back. */
function writeState(dir: string, file: string, content: string, old: string): { readonly write: () => void; readonly undo: () => void } {
  const put = (text: string) => writeAtomically(dir, [{ path: file, content: text }], { managed: (p) => p === file });
  return { write: () => put(content), undo: () => put(old) };
}

interface StateChange {
  readonly releases: Releases;
  readonly previews: readonly Preview[];
  readonly file: string;
  readonly content: string;
  readonly old: string;
}

/** Checks and renders the registry of `change`, then writes its state file and dist/ (all namespaces). */
function apply(change: StateChange, options: { readonly outdir: string; readonly quiet: boolean; readonly stateDir: string }, vars: NodeJS.ProcessEnv, io: Io): void {
  const registry = loadRegistry(registryWith(change.releases), change.previews);
  const state = writeState(options.stateDir, change.file, change.content, change.old);
  let written = false;
  try {
    synthesize(registry, { outdir: options.outdir, quiet: options.quiet, beforeWrite: () => { state.write(); written = true; } }, vars, io);
  } catch (error) {
    if (written) state.undo();
    throw error;
  }
}

const COMMON = {
  outdir: { type: 'string' },
  'state-dir': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const RELEASE_USAGE = `Usage: npm run release -- --namespace NS [--frontend-tag TAG] [--backend-tag TAG] [--quiet]

Pins the image tags of NS in lib/config/releases.json, then renders every namespace into ${DEFAULT_OUTDIR}/.
Commit both. Valid namespaces: ${NAMESPACES.join(', ')}. Exit codes as for npm run synth.
`;

export function release(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io): number {
  try {
    const { values } = parseOptions(argv, { ...COMMON, namespace: { type: 'string', short: 'n' }, 'frontend-tag': { type: 'string' }, 'backend-tag': { type: 'string' } });
    if (values.help) {
      io.stdout.write(RELEASE_USAGE);
      return EXIT.ok;
    }
    const namespace = values.namespace as string | undefined;
    if (!namespace) throw new ConfigError(`--namespace is required: one of ${NAMESPACES.join(', ')}`);
    if (!NAMESPACES.includes(namespace)) throw new ConfigError(`unknown namespace ${JSON.stringify(namespace)}: valid namespaces are ${NAMESPACES.join(', ')}`);
    const tags: Record<string, string> = {};
    for (const tier of ['frontend', 'backend'] as const) {
      const tag = values[`${tier}-tag`] as string | undefined;
      if (tag === undefined) continue;
      const problem = tag === '' ? 'must not be empty' : tagProblem(tag);
      if (problem) throw new ConfigError(`--${tier}-tag ${JSON.stringify(tag)}: ${problem}`);
      tags[tier] = tag;
    }
    if (Object.keys(tags).length === 0) throw new ConfigError('give --frontend-tag, --backend-tag or both');
    const opts = options(values);
    const current = readState(opts.stateDir, 'releases.json', releasesSchema);
    const previews = readState(opts.stateDir, 'previews.json', previewsFileSchema).value.previews;
    // Every namespace, in registry order, each with frontend then backend: the same bytes for the same state.
    const releases = checkedState('releases', releasesSchema, Object.fromEntries(NAMESPACES.map((ns) => {
      const t = { ...current.value[ns], ...(ns === namespace ? tags : {}) };
      return [ns, { frontend: t.frontend, backend: t.backend }];
    })));
    apply({ releases, previews, file: 'releases.json', content: json(releases), old: current.text }, opts, vars, io);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  }
}

export const PREVIEW_USAGE = `Usage: npm run preview -- add REPO N | remove REPO N | list

A pull-request preview of REPO (${Object.keys(PREVIEW_REPOS).join(' or ')}) number N, in the demo's namespace:
add or remove it in lib/config/previews.json, then render every namespace into ${DEFAULT_OUTDIR}/. Commit both.
`;

export function preview(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io): number {
  try {
    const { values, positionals } = parseOptions(argv, COMMON, true);
    if (values.help) {
      io.stdout.write(PREVIEW_USAGE);
      return EXIT.ok;
    }
    const [action, repo, number, ...extra] = positionals;
    const opts = options(values);
    const state = readState(opts.stateDir, 'previews.json', previewsFileSchema);
    const current = state.value.previews;
    if (action === 'list' && repo === undefined) {
      io.stdout.write(current.length === 0 ? 'no previews\n' : current.map((p) => `${previewName(p)}\n`).join(''));
      return EXIT.ok;
    }
    if ((action !== 'add' && action !== 'remove') || repo === undefined || number === undefined || extra.length > 0) {
      throw new ConfigError(`expected "add REPO N", "remove REPO N" or "list"; got ${JSON.stringify(positionals.join(' '))}`);
    }
    if (!(repo in PREVIEW_REPOS)) throw new ConfigError(`unknown repository ${JSON.stringify(repo)}: previews are of ${Object.keys(PREVIEW_REPOS).join(', ')}`);
    if (!/^[1-9]\d{0,5}$/.test(number)) throw new ConfigError(`pull request number ${JSON.stringify(number)}: must be a whole number from 1 to 999999`);
    const wanted: Preview = { repo: repo as PreviewRepo, number: Number(number) };
    const listed = current.some((p) => previewName(p) === previewName(wanted));
    // Already as asked (a pull request's CI calls this on every push): done, and nothing written.
    if ((action === 'add') === listed) {
      if (!values.quiet) io.stdout.write(`preview ${previewName(wanted)} is ${listed ? 'already there' : 'not there'}: nothing to do\n`);
      return EXIT.ok;
    }
    const next = action === 'add' ? [...current, wanted] : current.filter((p) => previewName(p) !== previewName(wanted));
    // Sorted by name (code units), so the file is the same whatever the order of the commands.
    next.sort((a, b) => (previewName(a) < previewName(b) ? -1 : previewName(a) > previewName(b) ? 1 : 0));
    const file = checkedState(path.join(opts.stateDir, 'previews.json'), previewsFileSchema, { previews: next });
    const releases = readState(opts.stateDir, 'releases.json', releasesSchema).value;
    apply({ releases, previews: file.previews, file: 'previews.json', content: json(file), old: state.text }, opts, vars, io);
    return EXIT.ok;
  } catch (error) {
    return fail(io, error);
  }
}

function options(values: Record<string, unknown>): { outdir: string; quiet: boolean; stateDir: string } {
  return {
    outdir: (values.outdir as string | undefined) ?? defaultOutdir(),
    quiet: Boolean(values.quiet),
    stateDir: (values['state-dir'] as string | undefined) ?? stateDir(),
  };
}
