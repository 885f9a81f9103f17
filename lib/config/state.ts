/**
 * The state files, lib/config/releases.json and lib/config/previews.json: data that `npm run release` and
 * `npm run preview` write, read from disk when the registry loads. They are not part of the bundled code
 * (scripts/bundle.js), so changing them rebuilds nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
  try {
    content = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(`${shown}: not JSON: ${(error as Error).message}`);
  }
  return { text, value: checkedState(shown, schema, content) };
}

/** Where the commands read and write the state files unless --state-dir says otherwise: the project's own. */
export const stateDir = (): string => projectPath(STATE_DIR);

/** A committed state file of this project. */
export function committedState<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  return readState(stateDir(), file, schema).value;
}
