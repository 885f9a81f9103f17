/**
 * The commands that change committed state and render it: `npm run release` writes the tags of a namespace
 * into lib/config/releases.json, `npm run preview` the set of previews into lib/config/previews.json. Each runs
 * as a synth of every namespace (lib/synth/cli.ts) with an edit of its state file: under one lock it reads the
 * state, checks and renders the new registry in memory, and writes dist/ and then the state file as one
 * transaction, so that concurrent commands queue, no update is lost, and state and dist/ always agree.
 */
import { NAMESPACES, releasesSchema } from '../config/environments';
import { Preview, previewName, previewsFileSchema, PREVIEW_REPOS, PreviewRepo } from '../config/preview';
import { tagProblem } from '../config/rules';
import { checkedState, readState } from '../config/state';
import { ConfigError } from '../config/types';
import { DEFAULT_OUTDIR, folders, Seams, State, StateEdit, synthesize, WRITING_OPTIONS } from './cli';
import { EXIT, fail, Io, parseOptions } from './exit';

/** JSON as the state files hold it: two-space indent, a final newline. */
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Runs `edit` as a synth of every namespace; returns the exit code. */
function apply(values: Record<string, unknown>, edit: (state: State) => StateEdit | undefined, vars: NodeJS.ProcessEnv, io: Io, seams?: Seams): number {
  synthesize({ ...folders(values), edit }, vars, io, seams);
  return EXIT.ok;
}

export const RELEASE_USAGE = `Usage: npm run release -- --namespace NS [--frontend-tag TAG] [--backend-tag TAG] [--outdir DIR] [--state-dir DIR] [--quiet]

Pins the image tags of NS in lib/config/releases.json, then renders every namespace into ${DEFAULT_OUTDIR}/.
Commit both. Valid namespaces: ${NAMESPACES.join(', ')}. Exit codes as for npm run synth.
`;

export function release(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io, seams?: Seams): number {
  try {
    const { values } = parseOptions(argv, { ...WRITING_OPTIONS, namespace: { type: 'string', short: 'n' }, 'frontend-tag': { type: 'string' }, 'backend-tag': { type: 'string' } });
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
    return apply(values, (state) => {
      // Every namespace, in registry order, each with frontend then backend: the same bytes for the same state.
      const releases = checkedState('releases', releasesSchema, Object.fromEntries(NAMESPACES.map((ns) => {
        const t = { ...state.releases[ns], ...(ns === namespace ? tags : {}) };
        return [ns, { frontend: t.frontend, backend: t.backend }];
      })));
      return { state: { ...state, releases }, file: 'releases.json', content: json(releases) };
    }, vars, io, seams);
  } catch (error) {
    return fail(io, error);
  }
}

export const PREVIEW_USAGE = `Usage: npm run preview -- add REPO N | remove REPO N | list

A pull-request preview of REPO (${Object.keys(PREVIEW_REPOS).join(' or ')}) number N, in the demo's namespace:
add or remove it in lib/config/previews.json, then render every namespace into ${DEFAULT_OUTDIR}/. Commit both.
`;

export function preview(argv: readonly string[], vars: NodeJS.ProcessEnv, io: Io, seams?: Seams): number {
  try {
    const { values, positionals } = parseOptions(argv, WRITING_OPTIONS, true);
    if (values.help) {
      io.stdout.write(PREVIEW_USAGE);
      return EXIT.ok;
    }
    const [action, repo, number, ...extra] = positionals;
    if (action === 'list' && repo === undefined) {
      const { previews } = readState(folders(values).stateDir, 'previews.json', previewsFileSchema).value;
      io.stdout.write(previews.length === 0 ? 'no previews\n' : previews.map((p) => `${previewName(p)}\n`).join(''));
      return EXIT.ok;
    }
    if ((action !== 'add' && action !== 'remove') || repo === undefined || number === undefined || extra.length > 0) {
      throw new ConfigError(`expected "add REPO N", "remove REPO N" or "list"; got ${JSON.stringify(positionals.join(' '))}`);
    }
    if (!(repo in PREVIEW_REPOS)) throw new ConfigError(`unknown repository ${JSON.stringify(repo)}: previews are of ${Object.keys(PREVIEW_REPOS).join(', ')}`);
    if (!/^[1-9]\d{0,5}$/.test(number)) throw new ConfigError(`pull request number ${JSON.stringify(number)}: must be a whole number from 1 to 999999`);
    const wanted: Preview = { repo: repo as PreviewRepo, number: Number(number) };
    return apply(values, (state) => {
      const listed = state.previews.some((p) => previewName(p) === previewName(wanted));
      // Already as asked (a pull request's CI calls this on every push): done, and the state file left as it is.
      if ((action === 'add') === listed) {
        if (!values.quiet) io.stdout.write(`preview ${previewName(wanted)} is ${listed ? 'already there' : 'not there'}: nothing to do\n`);
        return undefined;
      }
      const next = action === 'add' ? [...state.previews, wanted] : state.previews.filter((p) => previewName(p) !== previewName(wanted));
      // Sorted by name (code units), so the file is the same whatever the order of the commands.
      next.sort((a, b) => (previewName(a) < previewName(b) ? -1 : previewName(a) > previewName(b) ? 1 : 0));
      const file = checkedState('previews.json', previewsFileSchema, { previews: next });
      return { state: { ...state, previews: file.previews }, file: 'previews.json', content: json(file) };
    }, vars, io, seams);
  } catch (error) {
    return fail(io, error);
  }
}
