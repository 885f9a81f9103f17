/**
 * The cache folder of compiled validators and CRD indexes: files written atomically, named by the sha256 of the CRD
 * file they come from, and pruned when that file changes. A validator's V8 code cache (see compile.ts) is a
 * companion of its entry, `<entry>.v8-<node version>`, removed with it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a cache file; undefined if absent or unreadable. */
export function readCache(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The cache entries of one CRD file (and kind and version): `<prefix><sha256 of the file, 16>.<...><suffix>`, where
 * `...` is the ajv version and the generator key.
 */
export interface CacheFamily {
  readonly prefix: string;
  readonly suffix: string;
  readonly sha256: string;
}

/**
 * Entries kept per CRD file content, for different generator keys: the tests (transpiled by swc) and the synth
 * (bundled by esbuild) each have their own, and an edit of this module makes another.
 */
const CACHE_VARIANTS = 3;

const CODE_CACHE = '.v8-';

/** The file of V8's code cache of the cache entry `file`, for this node. */
export function codeCacheFile(file: string): string {
  return `${file}${CODE_CACHE}${process.version}`;
}

/** Writes `data` to `file` by rename, so a reader never sees half of it; false (and nothing written) on failure. */
export function writeAtomically(file: string, data: string | Uint8Array): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing more to do: the cache is optional
    }
    return false;
  }
}

/** Writes a cache file atomically, drops the code cache of what it replaces, then prunes its family; failures are ignored. */
export function writeCache(dir: string, name: string, content: string, family: CacheFamily): void {
  if (!writeAtomically(path.join(dir, name), content)) return;
  try {
    removeCompanions(dir, name);
    prune(dir, name, family);
  } catch {
    // a cache left unpruned is only larger
  }
}

/** Removes the code caches of the entry `name`, but for `keep`. */
export function removeCompanions(dir: string, name: string, keep?: string): void {
  for (const other of fs.readdirSync(dir)) {
    if (other.startsWith(`${name}${CODE_CACHE}`) && other !== keep && !other.endsWith('.tmp')) fs.rmSync(path.join(dir, other), { force: true });
  }
}

/** Removes the family's entries for another content of the CRD file, and all but the newest variants for this one. */
function prune(dir: string, name: string, family: CacheFamily): void {
  const variants: Array<{ readonly file: string; readonly mtime: number }> = [];
  const removed: string[] = [];
  for (const other of fs.readdirSync(dir)) {
    if (other === name || !other.startsWith(family.prefix) || !other.endsWith(family.suffix)) continue;
    const sha = other.slice(family.prefix.length, family.prefix.length + 17);
    if (!/^[0-9a-f]{16}\.$/.test(sha)) continue;
    const file = path.join(dir, other);
    if (sha !== `${family.sha256.slice(0, 16)}.`) removed.push(other);
    else variants.push({ file: other, mtime: fs.statSync(file).mtimeMs });
  }
  variants.sort((x, y) => y.mtime - x.mtime);
  removed.push(...variants.slice(CACHE_VARIANTS - 1).map((v) => v.file));
  for (const other of removed) {
    fs.rmSync(path.join(dir, other), { force: true });
    removeCompanions(dir, other);
  }
}
