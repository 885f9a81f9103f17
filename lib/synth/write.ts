/**
 * How a command changes files: everything rendered first, then one transaction under one lock, touching only
 * files synth itself writes.
 *
 * - What synth wrote into an output folder is recorded in `<outdir>/.synth-files` (committed with it). A file is
 *   deleted only if that record lists it and the command no longer produces it; no folder is ever listed but
 *   synth's own work folder, so nothing else in the output folder is read, let alone deleted.
 * - The work folder `<outdir>/.synth/` (git-ignored, removed when empty) holds the lock, the journal and the temp
 *   files: `git add dist` can never stage them.
 * - The lock: commands writing one output folder queue; the command reads the state, renders and writes under it.
 * - The journal: before the first change, the old content of every file the transaction changes (the output
 *   files, the record, a state file) is written and fsynced. Each file is then replaced atomically (a temp file,
 *   fsynced, renamed over it), and the journal is removed after the last. A failure puts the old files back at
 *   once; a journal found by the next command is a killed transaction, put back before anything else, so the
 *   killed command leaves no trace and state and output agree again.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/** A file to write, by path relative to the output folder, '/'-separated. */
export interface OutputFile { readonly path: string; readonly content: string }

/** The node:fs functions the writer uses, with node's signatures: a seam for tests. */
export type FileSystem = Pick<typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'linkSync' | 'unlinkSync' | 'rmdirSync' | 'mkdirSync' | 'readdirSync' | 'readFileSync' | 'lstatSync'>;

export interface OutputOptions {
  /** @default node:fs */ readonly fs?: FileSystem;
  /** How long to wait for another command's lock before giving up, ms. @default 10000 */ readonly lockTimeoutMs?: number;
  /** Told once when waiting for the lock. */ readonly onWait?: (message: string) => void;
}

/** One transaction: the output files, whether files of the record no longer produced go, and a state file to write last. */
export interface Change {
  readonly files: readonly OutputFile[];
  readonly prune: boolean;
  readonly state?: { readonly path: string; readonly content: string };
}

/** The machine refused: the message is one line, `cannot <verb> <path>: <cause> (<CODE>)`. */
export class OutputError extends Error {
  readonly path: string;
  readonly code: string;
  constructor(message: string, file: string, code: string) {
    super(message);
    this.name = new.target.name;
    this.path = file;
    this.code = code;
  }
}

/** Another command holds the lock. */
export class LockError extends OutputError {}

/** The record of what synth wrote, and synth's work folder, in an output folder. */
export const RECORD = '.synth-files';
export const WORK = '.synth';
const LOCK = 'lock';
const JOURNAL = 'journal';
const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EIO: 'input/output error', EMFILE: 'too many open files',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENAMETOOLONG: 'name too long',
  EISDIR: 'a folder is in the way', ENOTDIR: 'a file is in the way of a folder', EEXIST: 'a file is in the way', ENOENT: 'no such file or folder',
};

/** The code of a system error (duck-typed: errors of node built-ins fail `instanceof Error` under jest's vm). */
function codeOf(e: unknown): string | undefined {
  const x = e as { code?: unknown; syscall?: unknown } | null;
  return typeof x === 'object' && x !== null && typeof x.code === 'string' && typeof x.syscall === 'string' ? x.code : undefined;
}

/** `run()`, its system errors as one-line OutputErrors; with `missing`, ENOENT gives undefined. */
function attempt<T>(verb: string, shown: string, run: () => T, missing = false): T | undefined {
  try {
    return run();
  } catch (e) {
    const code = codeOf(e);
    if (code === undefined) throw e;
    if (missing && code === 'ENOENT') return undefined;
    const cause = CAUSES[code] ?? String((e as Error).message).replace(/^\w+: /, '').replace(/, .*$/s, '');
    throw new OutputError(`cannot ${verb} ${shown}: ${cause} (${code})`, shown, code);
  }
}

/** Cleanup is best effort: it must not hide the error that made it necessary. */
function quietly(run: () => void) {
  try {
    run();
  } catch {}
}

/** A relative path inside the folder and not synth's own ('/'-separated), or undefined. */
function outputPath(p: string): string | undefined {
  const rel = path.posix.normalize(p);
  const own = rel === RECORD || rel === WORK || rel.startsWith(`${WORK}/`);
  return rel === '.' || rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel) || own ? undefined : rel;
}

function alive(pid: number): boolean {
  if (!(pid > 0) || pid === process.pid) return false; // 0 would signal our process group
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) === 'EPERM'; // exists, owned by someone else
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A journal entry: a file and its content before the transaction (base64; null: it did not exist). */
interface Entry { readonly path: string; readonly old: string | null }

/** The files of one output folder, as one command changes them. */
export class Output {
  readonly outdir: string;
  private readonly fs: FileSystem;
  private readonly work: string;
  private temps = 0;

  private constructor(outdir: string, fs: FileSystem) {
    this.outdir = outdir;
    this.fs = fs;
    this.work = path.join(outdir, WORK);
  }

  /** Runs `body` holding the folder's lock, after putting back a killed transaction; the lock is released after. */
  static locked<T>(outdir: string, options: OutputOptions, body: (out: Output) => T): T {
    const out = new Output(outdir, options.fs ?? nodeFs);
    out.makeWork();
    out.lock(options.lockTimeoutMs ?? 10_000, options.onWait);
    try {
      out.recover();
      return body(out);
    } finally {
      quietly(() => out.fs.unlinkSync(path.join(out.work, LOCK))); // left behind, it holds our pid and is taken over once we exited
      quietly(() => out.fs.rmdirSync(out.work)); // only when empty: a waiting command's staged lock keeps it
    }
  }

  /** Writes the changed files of `change`, deletes the record's files it no longer has, then its state file; all or nothing. */
  commit(change: Change): { readonly written: readonly string[]; readonly removed: readonly string[] } {
    const wanted = new Map<string, Buffer>();
    for (const f of change.files) {
      const rel = outputPath(f.path);
      if (rel === undefined || wanted.has(rel)) throw new Error(`invalid or duplicate output path '${f.path}'`);
      wanted.set(rel, Buffer.from(f.content));
    }
    const recorded = this.record();
    const plan: { file: string; data: Buffer | null; old: Buffer | null }[] = [];
    /** Plans `file` to become `data` (null: no file); true if that is a change. */
    const want = (file: string, data: Buffer | null): boolean => {
      const old = this.read(file) ?? null;
      const changed = data === null ? old !== null : !old?.equals(data);
      if (changed) plan.push({ file, data, old });
      return changed;
    };
    const written = [...wanted.keys()].sort().filter((rel) => want(this.abs(rel), wanted.get(rel)!));
    const removed = change.prune ? recorded.filter((rel) => !wanted.has(rel) && want(this.abs(rel), null)) : [];
    const record = [...new Set([...(change.prune ? [] : recorded), ...wanted.keys()])].sort();
    want(this.abs(RECORD), Buffer.from(record.map((r) => `${r}\n`).join('')));
    if (change.state) want(path.resolve(change.state.path), Buffer.from(change.state.content));
    if (plan.length === 0) return { written: [], removed: [] };

    this.journal(plan.map(({ file, old }) => ({ file, old })));
    try {
      for (const { file, data } of plan) this.put(file, data);
      this.syncDirs(plan.map((p) => p.file));
    } catch (error) {
      try {
        this.undo(); // the old files back now; if that fails too, the journal stays for the next command
      } catch {}
      throw error;
    }
    this.forget();
    return { written, removed };
  }

  private abs(rel: string): string {
    return path.join(this.outdir, rel);
  }

  /** The record of what synth wrote here: its safe paths (a tampered line naming anything else is ignored). */
  private record(): string[] {
    const text = this.read(this.abs(RECORD))?.toString('utf8') ?? '';
    return text.split('\n').filter((l) => l !== '' && outputPath(l) === l);
  }

  /** A file's bytes, or undefined if there is none. */
  private read(file: string): Buffer | undefined {
    return attempt('read', file, () => this.fs.readFileSync(file), true);
  }

  private makeWork() {
    attempt('create', this.work, () => {
      try {
        this.fs.mkdirSync(this.work, { recursive: true });
      } catch (e) {
        if (codeOf(e) === 'ENOENT' && this.fs.lstatSync(this.outdir, { throwIfNoEntry: false })?.isSymbolicLink())
          throw new OutputError(`cannot create ${this.outdir}: it is a symbolic link to a missing folder (ENOENT)`, this.outdir, 'ENOENT');
        throw e;
      }
    });
  }

  /** Writes `data` to `file` fully; fsynced when `sync`. */
  private writeFully(file: string, data: Buffer, sync: boolean) {
    const fd = this.fs.openSync(file, 'w');
    try {
      for (let at = 0; at < data.length; ) at += this.fs.writeSync(fd, data, at, data.length - at);
      if (sync) this.fs.fsyncSync(fd);
    } catch (e) {
      quietly(() => this.fs.closeSync(fd));
      throw e;
    }
    this.fs.closeSync(fd); // not quietly: close can report a late write error
  }

  /** Whether `file` is outside the output folder (a state file). */
  private outside(file: string): boolean {
    const rel = path.relative(this.outdir, file);
    return rel.startsWith('..') || path.isAbsolute(rel);
  }

  /**
   * Where `file`'s temp goes: the work folder for the output's files (so none is ever in the output itself), beside
   * the file for anything else (a state file, whose folder may be on another file system), under a fixed name.
   */
  private tempOf(file: string): string {
    return this.outside(file) ? path.join(path.dirname(file), `.${path.basename(file)}.synth-tmp`) : path.join(this.work, `tmp.${process.pid}.${++this.temps}`);
  }

  /** Replaces `file` by `data` atomically (or removes it, data null); its folders are made as needed. */
  private put(file: string, data: Buffer | null) {
    if (data === null) {
      attempt('remove', file, () => this.fs.unlinkSync(file), true);
      // A preview's folder goes with its last file; a folder with anything else in it stays (ENOTEMPTY).
      for (let dir = path.dirname(file); dir !== this.outdir && !path.relative(this.outdir, dir).startsWith('..'); dir = path.dirname(dir))
        try {
          this.fs.rmdirSync(dir);
        } catch {
          break;
        }
      return;
    }
    attempt('create', path.dirname(file), () => this.fs.mkdirSync(path.dirname(file), { recursive: true }));
    const temp = this.tempOf(file);
    try {
      attempt('write', file, () => this.writeFully(temp, data, true));
      attempt('replace', file, () => this.fs.renameSync(temp, file));
    } catch (e) {
      quietly(() => this.fs.unlinkSync(temp));
      throw e;
    }
  }

  /** Makes the entries of the folders of these files durable. */
  private syncDirs(files: readonly string[]) {
    for (const dir of [...new Set(files.map((f) => path.dirname(f)))].sort()) {
      const fd = attempt('sync', dir, () => this.fs.openSync(dir, 'r'), true);
      if (fd !== undefined)
        attempt('sync', dir, () => {
          try {
            this.fs.fsyncSync(fd);
          } catch (e) {
            if (codeOf(e) !== 'EINVAL') throw e; // EINVAL: this file system cannot sync folders
          } finally {
            this.fs.closeSync(fd);
          }
        });
    }
  }

  /** Writes the journal of a transaction: decided once it is renamed into place and its folder synced. */
  private journal(entries: readonly { file: string; old: Buffer | null }[]) {
    const text = JSON.stringify(entries.map(({ file, old }): Entry => ({ path: file, old: old && old.toString('base64') })));
    this.put(path.join(this.work, JOURNAL), Buffer.from(text));
    this.syncDirs([path.join(this.work, JOURNAL)]);
  }

  private forget() {
    attempt('remove', path.join(this.work, JOURNAL), () => this.fs.unlinkSync(path.join(this.work, JOURNAL)), true);
    this.syncDirs([path.join(this.work, JOURNAL)]);
  }

  /** Puts back every file of the journal that differs from its old content, then removes the journal. */
  private undo() {
    const text = this.read(path.join(this.work, JOURNAL));
    if (text === undefined) return;
    let entries: Entry[];
    try {
      entries = JSON.parse(text.toString('utf8')) as Entry[];
      if (!Array.isArray(entries) || !entries.every((e) => typeof e.path === 'string' && (e.old === null || typeof e.old === 'string'))) throw new Error();
    } catch {
      throw new OutputError(`cannot recover ${path.join(this.work, JOURNAL)}: not a journal of this program; remove it to go on`, this.work, 'EINVAL');
    }
    for (const e of entries) {
      if (this.outside(e.path)) quietly(() => this.fs.unlinkSync(this.tempOf(e.path))); // a state file's temp, if it was being written
      const old = e.old === null ? null : Buffer.from(e.old, 'base64');
      const now = this.read(e.path) ?? null;
      if (old === null ? now !== null : !now?.equals(old)) this.put(e.path, old); // only what the transaction did change
    }
    this.syncDirs(entries.map((e) => e.path));
    this.forget();
  }

  /** A killed transaction is put back, and the temp files of killed commands go: all of them are in the work folder. */
  private recover() {
    this.undo();
    const names = attempt('read', this.work, () => this.fs.readdirSync(this.work)) ?? [];
    for (const name of names.map(String)) {
      const staged = /^lock\.(\d+)/.exec(name);
      if (name.startsWith('tmp.') || (staged && !alive(Number(staged[1])))) attempt('remove', path.join(this.work, name), () => this.fs.unlinkSync(path.join(this.work, name)), true);
    }
  }

  private readPid(file: string): number | undefined {
    const text = attempt('lock', file, () => String(this.fs.readFileSync(file, 'utf8')).trim(), true);
    return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : 0; // garbage (a crash) counts as a dead holder
  }

  /**
   * Our pid is staged in a file of our own and hard-linked to the lock's name, which fails if the lock exists, so
   * the lock is never seen empty. A stale lock is moved aside and checked before it is deleted, so that a lock
   * another command took over meanwhile is put back rather than deleted.
   */
  private lock(timeout: number, onWait?: (message: string) => void) {
    const lock = path.join(this.work, LOCK);
    const staging = `${lock}.${process.pid}`;
    const deadline = Date.now() + timeout;
    let told = false;
    try {
      // The work folder may have been removed, empty, by a command that just finished: then it is made again.
      for (let tries = 0; ; tries++) {
        try {
          this.writeFully(staging, Buffer.from(`${process.pid}\n`), false);
          break;
        } catch (e) {
          if (codeOf(e) !== 'ENOENT' || tries > 2) attempt('lock', lock, () => { throw e; });
          this.makeWork();
        }
      }
      for (;;) {
        try {
          this.fs.linkSync(staging, lock);
          return;
        } catch (e) {
          if (codeOf(e) !== 'EEXIST') attempt('lock', lock, () => { throw e; });
        }
        const holder = this.readPid(lock);
        if (holder === undefined) continue; // released meanwhile
        if (!alive(holder)) {
          const aside = `${staging}.stale`;
          if (!attempt('lock', lock, () => (this.fs.renameSync(lock, aside), true), true)) continue; // someone else took it over first
          if (this.readPid(aside) !== holder) quietly(() => this.fs.linkSync(aside, lock));
          attempt('lock', lock, () => this.fs.unlinkSync(aside));
          continue;
        }
        const what = `cannot lock ${lock}: process ${holder} (another synth, release or preview) still holds it after ${timeout} ms`;
        const how = `wait for it to finish and run again, or delete ${lock} if process ${holder} is none of them`;
        if (Date.now() >= deadline) throw new LockError(`${what}; ${how}`, lock, 'EEXIST');
        if (!told) onWait?.(`waiting for process ${holder} to release ${lock}`);
        told = true;
        sleep(Math.max(1, Math.min(50, deadline - Date.now())));
      }
    } finally {
      quietly(() => this.fs.unlinkSync(staging));
    }
  }
}
