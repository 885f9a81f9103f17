/**
 * `npm run diff`: what a fresh render would change against dist/ at a git ref, object by object. Both sides
 * are parsed; the committed side is read through git itself.
 */
import { DiffInputError, diffAsJson, diffManifests, formatDiff, readTreeAtRef } from '../report/diff';
import { ConfigError } from '../config/types';
import { ENVIRONMENTS, PREVIEW_HOME, PREVIEWS } from '../config/environments';
import { DEFAULT_OUTDIR } from './cli';
import { EXIT, fail, Io, parseOptions } from './exit';
import { renderAll } from './render';

export const DIFF_USAGE = `Usage: npm run diff -- [--base REF] [--json]

Compares what the code renders now with ${DEFAULT_OUTDIR}/ at the git ref REF (default HEAD), object by
object: added, removed and changed objects, the changed fields, old → new for values. --json for CI.
Exit codes: 0 compared (whatever the differences), 1 the render failed validation, 2 a bad option or ref.
`;

/** The manifests and Argo CD objects; not the topology pages, nor what else dist/ may hold. */
const isManifest = (p: string) => p.endsWith('.yaml');

export function diff(argv: readonly string[], _vars: NodeJS.ProcessEnv, io: Io): number {
  try {
    const { values } = parseOptions(argv, { base: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(DIFF_USAGE);
      return EXIT.ok;
    }
    const base = (values.base as string | undefined) ?? 'HEAD';
    const { files } = renderAll([...ENVIRONMENTS, ...PREVIEWS], PREVIEW_HOME);
    const head = new Map(files.filter((f) => isManifest(f.path)).map((f) => [f.path, f.content]));
    let committed: Map<string, string>;
    try {
      committed = readTreeAtRef('.', base, DEFAULT_OUTDIR, isManifest);
    } catch (error) {
      if (error instanceof DiffInputError) throw new ConfigError(error.message);
      throw error;
    }
    const d = diffManifests(committed, head, base);
    io.stdout.write(values.json ? diffAsJson(d) : formatDiff(d));
    return EXIT.ok;
  } catch (error) {
    return fail(io, error instanceof DiffInputError ? new ConfigError(error.message) : error);
  }
}
