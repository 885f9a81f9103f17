/**
 * Replaces files in the output folder all together or not at all: every new file is written
 * beside its target first, then renamed over it; if anything fails, the targets are put back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A file to write, by path relative to the output folder. */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

export interface WriteOptions {
  /**
   * Remove files that match `managed` but are not in `files` (an environment that no longer
   * exists). Only for a complete synth of every environment. @default false
   */
  readonly prune?: boolean;
  /** Which relative paths this tool owns. @default every file */
  readonly managed?: (relativePath: string) => boolean;
}

const suffix = `.${process.pid}`;

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** Writes `files` under `outdir`; on any error the folder is left exactly as it was, and the error is rethrown. */
export function writeAtomically(outdir: string, files: readonly OutputFile[], options: WriteOptions = {}): void {
  const managed = options.managed ?? (() => true);
  const wanted = new Set(files.map((f) => path.normalize(f.path)));
  const changed = files.filter((f) => readOrUndefined(path.join(outdir, f.path)) !== f.content);
  const removed = options.prune ? listFiles(outdir).filter((f) => managed(f) && !wanted.has(f)) : [];

  const createdDirs: string[] = [];
  const staged: string[] = [];
  const backups = new Map<string, string>();
  const touched: string[] = [];
  try {
    for (const f of changed) {
      const target = path.join(outdir, f.path);
      const made = fs.mkdirSync(path.dirname(target), { recursive: true });
      if (made) createdDirs.push(made);
      fs.writeFileSync(target + suffix + '.new', f.content);
      staged.push(target);
    }
    // Every new file is on disk: keep the old ones (hard links, no copy) until all renames succeeded.
    for (const target of [...staged, ...removed.map((r) => path.join(outdir, r))]) {
      if (fs.statSync(target, { throwIfNoEntry: false })?.isFile()) {
        fs.linkSync(target, target + suffix + '.old');
        backups.set(target, target + suffix + '.old');
      }
    }
    for (const target of staged) {
      fs.renameSync(target + suffix + '.new', target);
      touched.push(target);
    }
    for (const r of removed) {
      fs.unlinkSync(path.join(outdir, r));
      touched.push(path.join(outdir, r));
    }
  } catch (error) {
    for (const target of touched) {
      const backup = backups.get(target);
      if (backup) fs.renameSync(backup, target);
      else fs.rmSync(target, { force: true });
    }
    for (const backup of backups.values()) fs.rmSync(backup, { force: true });
    for (const target of staged) fs.rmSync(target + suffix + '.new', { force: true });
    for (const dir of createdDirs.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  for (const backup of backups.values()) fs.rmSync(backup, { force: true });
}
