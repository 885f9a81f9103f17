/**
 * The state files, lib/config/releases.json and lib/config/previews.json: data that `npm run release` and
 * `npm run preview` write, read from disk when the registry loads. They are data, not code that is compiled
 * with the app (scripts/run.js), so changing them changes nothing that is compiled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load, YAMLException } from 'js-yaml';
import type { z } from 'zod';
import { projectPath } from './project';
import { ConfigError } from './types';

/** Where the state files are, relative to the project. */
export const STATE_DIR = path.join('lib', 'config');

/** A state file's content checked by its schema; a ConfigError names the file and every bad entry. */
export function checkedState<T extends z.ZodType>(file: string, schema: T, content: unknown): z.output<T> {
  const parsed = schema.safeParse(content);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(file)'}: ${i.message}`).join('\n'));
}

/**
 * A state file as it is on disk now, checked by its schema; a file that cannot be read or is not JSON is a
 * ConfigError too. A byte order mark is allowed, as editors may write one.
 */
export function readState<T extends z.ZodType>(dir: string, file: string, schema: T): { readonly text: string; readonly value: z.output<T> } {
  const shown = path.join(dir, file);
  let text: string;
  try {
    text = fs.readFileSync(shown, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${shown}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let content: unknown;
  const json = text.replace(/^\uFEFF/, '');
  try {
    content = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`${shown}: not JSON: ${(error as Error).message}`);
  }
  const duplicate = duplicateKey(json);
  if (duplicate) throw new ConfigError(`${shown}: line ${duplicate.line}: key ${duplicate.key} is given twice: each key once (JSON.parse would keep the last silently)`);
  return { text, value: checkedState(shown, schema, content) };
}

/**
 * The first key that an object of a JSON text repeats, or undefined. JSON.parse keeps the last of two silently;
 * YAML 1.2, of which JSON is a subset, refuses them, so js-yaml finds them and where.
 */
function duplicateKey(json: string): { readonly key: string; readonly line: number } | undefined {
  try {
    load(json);
    return undefined;
  } catch (error) {
    if (!(error instanceof YAMLException) || error.reason !== 'duplicated mapping key') return undefined;
    const mark = (error as YAMLException & { mark: { position: number; line: number } }).mark;
    const key = /^"(?:[^"\\]|\\.)*"/.exec(json.slice(mark.position))?.[0] ?? '(unknown)';
    return { key, line: mark.line + 1 };
  }
}

/** Where the commands read and write the state files unless --state-dir says otherwise: the project's own. */
export const stateDir = (): string => projectPath(STATE_DIR);

/** A committed state file of this project. */
export function committedState<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  return readState(stateDir(), file, schema).value;
}
