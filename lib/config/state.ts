/**
 * The state files, lib/config/releases.json and lib/config/previews.json: data that `npm run release` and
 * `npm run preview` write, read from disk when the registry loads. They are not part of the bundled code
 * (scripts/bundle.js), so changing them rebuilds nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { projectRoot } from './project';
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
 * A state file as it is on disk now, checked by its schema. Messages name it `shown` (default: its path), and a
 * file that cannot be read or is not JSON is a ConfigError too.
 */
export function readState<T extends z.ZodType>(dir: string, file: string, schema: T, shown = path.join(dir, file)): { readonly text: string; readonly value: z.output<T> } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, file), 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${shown}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${shown}: not JSON: ${(error as Error).message}`);
  }
  return { text, value: checkedState(shown, schema, content) };
}

/** A committed state file of this project, named as the project names it (`lib/config/<file>`). */
export function committedState<T extends z.ZodType>(file: string, schema: T): z.output<T> {
  return readState(path.join(projectRoot(), STATE_DIR), file, schema, path.join(STATE_DIR, file)).value;
}
