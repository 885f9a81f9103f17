/**
 * Replaces the synthesized files of an output folder so that a kill, a crash or a full disk never leaves a
 * half-written file, and two synths never interleave. One call, under the lock `<outdir>/.synth.lock`:
 *
 *  1. recover: a journal `<outdir>/.synth-journal` left by a killed call lists the renames and deletions it had
 *     decided; those whose temp file still exists are completed (roll forward), then the journal is removed.
 *  2. sweep: stray temp files (`.<name>.synth-tmp`, the old writer's `<name>.<pid>.new|.old`, lock staging files of
 *     dead processes) are removed.
 *  3. stage: each changed file goes to `.<name>.synth-tmp` beside its target: written fully, fsynced, closed; then
 *     its folders are fsynced. Any error up to here removes the temp files: the targets are untouched.
 *  4. commit: the journal is written and fsynced; only then are the temps renamed over the targets and pruned files
 *     unlinked, the folders fsynced and the journal removed. Once the journal is on disk the write is decided, and
 *     whatever interrupts it is finished by the next call: the files are replaced all together.
 *
 * Synchronous and not reentrant: a lock holding our own pid can only be left by an aborted earlier call.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/** A file to write, by path relative to the output folder, '/'-separated. */
export interface OutputFile { readonly path: string; readonly content: string }

export interface WriteOptions {
  /** Remove managed files not in `files`. @default false */ readonly prune?: boolean;
  /** Which relative paths this tool owns. @default every file */ readonly managed?: (relativePath: string) => boolean;
  /** The file system, a seam for tests. @default node:fs */ readonly fs?: FileSystem;
  /** How long to wait for another synth's lock before giving up, ms. @default 10000 */ readonly lockTimeoutMs?: number;
  /** Told once when waiting for the lock. */ readonly onWait?: (message: string) => void;
}

/** The node:fs functions the writer uses, with node's signatures. */
export interface FileSystem
  extends Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'linkSync' | 'unlinkSync'>,
    Pick<typeof nodeFs, 'mkdirSync' | 'readdirSync' | 'readFileSync' | 'lstatSync'> {}

/** The machine refused: the message is one line, `cannot <verb> <path>: <cause> (<CODE>)`. */
export class OutputError extends Error {
  constructor(message: string, readonly path: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another synth holds the lock. */
export class LockError extends OutputError {}

const LOCK = '.synth.lock';
const JOURNAL = '.synth-journal';
const TEMP = /^\..+\.synth-tmp$/;
const LOCK_STAGING = /^\.synth\.lock\.(\d+)(\.stale)?$/; // <lock>.<pid> while acquiring, <lock>.<pid>.stale while taking over
const OLD_WRITER = /^(.+)\.\d+\.(new|old)$/; // left by lib/output.ts when killed
const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EIO: 'input/output error', EMFILE: 'too many open files',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENAMETOOLONG: 'name too long',
  EISDIR: 'a folder is in the way', ENOTDIR: 'a file is in the way of a folder', EEXIST: 'a file is in the way', ENOENT: 'no such file or folder',
};

type Plan = { readonly write: readonly string[]; readonly delete: readonly string[] };

/** The code of a system error (duck-typed: errors of node built-ins fail `instanceof Error` under jest's vm). */
function codeOf(e: unknown): string | undefined {
  const x = e as { code?: unknown; syscall?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.code === 'string' && typeof x.syscall === 'string' ? x.code : undefined;
}

/** A system error as an OutputError; anything else is returned as it is, to be rethrown. */
function fail(verb: string, shown: string, e: unknown): unknown {
  const code = codeOf(e);
  if (!code) return e;
  const cause = CAUSES[code] ?? String((e as Error).message).replace(/^\w+: /, '').replace(/, .*$/s, '');
  return new OutputError(`cannot ${verb} ${shown}: ${cause} (${code})`, shown, code);
}

/** `run()`, its system errors as OutputError. */
function attempt<T>(verb: string, shown: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw fail(verb, shown, e);
  }
}
/** The same, or undefined when what it needs is not there (ENOENT). */
function ifThere<T>(verb: string, shown: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return undefined;
    throw fail(verb, shown, e);
  }
}

/** Cleanup is best effort: it must not hide the error that made it necessary. */
function quietly(run: () => void) {
  try {
    run();
  } catch {}
}

/** A safe relative path ('/'-separated, inside outdir, not one of ours), or undefined. */
function normal(p: string): string | undefined {
  const rel = path.posix.normalize(p);
  const name = path.posix.basename(rel);
  const ours = TEMP.test(name) || OLD_WRITER.test(name) || name.startsWith(LOCK) || name === JOURNAL;
  return rel === '.' || rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel) || ours ? undefined : rel;
}

const tempOf = (rel: string) => path.posix.join(path.posix.dirname(rel), `.${path.posix.basename(rel)}.synth-tmp`);

function alive(pid: number): boolean {
  if (!(pid > 0) || pid === process.pid) return false; // 0 would signal our process group
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) === 'EPERM'; // exists, owned by someone else
  }
}

function parsePlan(text: string): Plan | undefined {
  const list = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && normal(s) === s);
  try {
    const plan = JSON.parse(text) as Plan;
    return list(plan.write) && list(plan.delete) ? plan : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Writes `files` under `outdir`, all together or not at all; throws OutputError when the machine refuses. */
export function writeAtomically(
  outdir: string,
  files: readonly OutputFile[],
  options: WriteOptions = {},
): { readonly written: readonly string[]; readonly removed: readonly string[] } {
  const fs = options.fs ?? nodeFs;
  const managed = options.managed ?? (() => true);
  const abs = (rel: string) => path.join(outdir, rel);
  const wanted = new Map<string, Buffer>();
  for (const f of files) {
    const rel = normal(f.path);
    if (rel === undefined || wanted.has(rel)) throw new Error(`invalid or duplicate output path '${f.path}'`);
    wanted.set(rel, Buffer.from(f.content));
  }

  const unlinkIfThere = (rel: string) => ifThere('remove', abs(rel), () => fs.unlinkSync(abs(rel)));
  const writeFully = (file: string, data: Buffer, sync: boolean) => {
    const fd = fs.openSync(file, 'w');
    try {
      for (let at = 0; at < data.length; ) at += fs.writeSync(fd, data, at, data.length - at);
      if (sync) fs.fsyncSync(fd);
    } catch (e) {
      quietly(() => fs.closeSync(fd));
      throw e;
    }
    fs.closeSync(fd); // not quietly: close can report a late write error
  };
  /** Makes the entries of these folders (relative, '.' is outdir) durable, in sorted order. */
  const syncDirs = (rels: readonly string[]) => {
    const dirs = new Set<string>();
    for (const rel of rels) for (let d = path.posix.dirname(rel); !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) {
      const fd = ifThere('sync', abs(d), () => fs.openSync(abs(d), 'r')); // gone meanwhile: nothing left to make durable
      if (fd !== undefined)
        attempt('sync', abs(d), () => {
          try {
            fs.fsyncSync(fd);
          } catch (e) {
            if (codeOf(e) !== 'EINVAL') throw e; // EINVAL: this file system cannot sync folders
          } finally {
            fs.closeSync(fd);
          }
        });
    }
  };
  const readPid = (file: string): number | undefined => {
    const text = ifThere('lock', file, () => String(fs.readFileSync(file, 'utf8')).trim());
    return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : 0; // garbage (a crash) counts as a dead holder
  };

  // The lock: our pid is staged in a file of our own and hard-linked to the lock name, which fails if the lock
  // exists, so the lock is never seen empty. A stale lock is moved aside and checked before it is deleted, so
  // that a lock another synth took over meanwhile is put back rather than deleted.
  const lock = abs(LOCK);
  const staging = `${lock}.${process.pid}`;
  attempt('create', outdir, () => {
    try {
      fs.mkdirSync(outdir, { recursive: true });
    } catch (e) {
      if (codeOf(e) === 'ENOENT' && fs.lstatSync(outdir, { throwIfNoEntry: false })?.isSymbolicLink())
        throw new OutputError(`cannot create ${outdir}: it is a symbolic link to a missing folder (ENOENT)`, outdir, 'ENOENT');
      throw e;
    }
  });
  const timeout = options.lockTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeout;
  let told = false;
  try {
    attempt('lock', lock, () => writeFully(staging, Buffer.from(`${process.pid}\n`), false)); // a lock matters only while its holder lives
    for (;;) {
      try {
        fs.linkSync(staging, lock);
        break;
      } catch (e) {
        if (codeOf(e) !== 'EEXIST') throw fail('lock', lock, e);
      }
      const holder = readPid(lock);
      if (holder === undefined) continue; // released meanwhile
      if (!alive(holder)) {
        const aside = `${staging}.stale`;
        if (!ifThere('lock', lock, () => (fs.renameSync(lock, aside), true))) continue; // taken over by someone else first
        if (readPid(aside) !== holder) quietly(() => fs.linkSync(aside, lock));
        attempt('lock', lock, () => fs.unlinkSync(aside));
        continue;
      }
      const what = `cannot lock ${lock}: process ${holder} (another synth) still holds it after ${timeout} ms`;
      const how = `wait for it to finish and run again, or delete ${lock} if process ${holder} is not a synth`;
      if (Date.now() >= deadline) throw new LockError(`${what}; ${how}`, lock, 'EEXIST');
      if (!told) options.onWait?.(`waiting for another synth (process ${holder}) to release ${lock}`);
      told = true;
      sleep(Math.max(1, Math.min(50, deadline - Date.now())));
    }
  } finally {
    quietly(() => fs.unlinkSync(staging));
  }

  const commit = (plan: Plan, recovering: boolean) => {
    for (const rel of plan.write) {
      const rename = () => fs.renameSync(abs(tempOf(rel)), abs(rel));
      if (recovering) ifThere('replace', abs(rel), rename); // no temp: renamed before the kill
      else attempt('replace', abs(rel), rename);
    }
    plan.delete.forEach(unlinkIfThere);
    syncDirs([...plan.write, ...plan.delete]);
    unlinkIfThere(JOURNAL);
    syncDirs([JOURNAL]);
  };

  try {
    // 1. recover
    const journal = ifThere('read', abs(JOURNAL), () => String(fs.readFileSync(abs(JOURNAL), 'utf8')));
    if (journal !== undefined) {
      const plan = parsePlan(journal);
      if (plan) commit(plan, true);
      else unlinkIfThere(JOURNAL); // torn: it was being written when its writer died, before any rename
    }

    // 2. sweep strays, listing the files that remain
    const existing: string[] = [];
    const walk = (dir: string) => {
      const entries = attempt('read', abs(dir), () => fs.readdirSync(abs(dir), { withFileTypes: true }));
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const rel = path.posix.join(dir, entry.name);
        const staged = dir === '.' ? LOCK_STAGING.exec(entry.name) : null;
        const old = OLD_WRITER.exec(rel);
        if (entry.isDirectory()) walk(rel);
        else if (staged ? !alive(Number(staged[1])) : TEMP.test(entry.name) || (old !== null && managed(old[1]))) unlinkIfThere(rel);
        else if (entry.isFile() && normal(rel) === rel) existing.push(rel);
      }
    };
    walk('.');

    // 3. stage what changed
    const same = (rel: string) => ifThere('replace', abs(rel), () => fs.readFileSync(abs(rel)))?.equals(wanted.get(rel)!);
    const changed = [...wanted.keys()].sort().filter((rel) => !same(rel));
    const removed = options.prune ? existing.filter((rel) => managed(rel) && !wanted.has(rel)) : [];
    if (changed.length + removed.length === 0) return { written: [], removed: [] };
    const staged: string[] = [];
    try {
      for (const rel of changed) {
        attempt('create', abs(path.posix.dirname(rel)), () => fs.mkdirSync(abs(path.posix.dirname(rel)), { recursive: true }));
        staged.push(rel);
        attempt('write', abs(rel), () => writeFully(abs(tempOf(rel)), wanted.get(rel)!, true));
      }
      syncDirs(changed);
      // 4. commit: decided once the journal is on disk
      const plan: Plan = { write: changed, delete: removed };
      attempt('write', abs(JOURNAL), () => writeFully(abs(JOURNAL), Buffer.from(`${JSON.stringify(plan)}\n`), true));
      syncDirs([JOURNAL]);
    } catch (e) {
      for (const rel of staged) quietly(() => fs.unlinkSync(abs(tempOf(rel))));
      quietly(() => fs.unlinkSync(abs(JOURNAL)));
      throw e;
    }
    commit({ write: changed, delete: removed }, false); // an error from here on leaves the journal: the next call finishes
    return { written: changed, removed };
  } finally {
    quietly(() => fs.unlinkSync(lock)); // left behind, it holds our pid and is taken over once we have exited
  }
}
