/**
 * lib/synth/write.ts against a real temp folder, through a FileSystem seam that wraps node:fs and either fails one
 * chosen call with an errno, or "kills" the writer at its Nth call: it throws `Killed` and refuses every later call,
 * so no cleanup code can touch the disk afterwards, as with SIGKILL.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSystem, LockError, OutputError, OutputFile, writeAtomically } from '../lib/synth/write';

class Killed extends Error {}

const OPS = ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync', 'linkSync', 'unlinkSync', 'mkdirSync', 'readdirSync', 'readFileSync', 'lstatSync'] as const;
type Op = (typeof OPS)[number];

interface Seam {
  /** Kill at this call (1-based, counting every operation); before it runs, or just after with `killAfter`. */
  killAt?: number;
  killAfter?: boolean;
  /** The errno to throw at a call, if any, given the operation, its number among calls of that operation, and its path. */
  fault?: (op: Op, n: number, file: string) => string | undefined;
  /** writeSync writes at most this many bytes per call, as a real write may. */
  shortWrites?: number;
}

/** A FileSystem over node:fs, with a trace of `op path` (paths relative to `root`; fd operations named by the fd's path). */
function seam(root: string, plan: Seam = {}) {
  let calls = 0;
  let dead = false;
  const perOp = new Map<Op, number>();
  const fdPath = new Map<number, string>();
  const trace: string[] = [];
  const rel = (p: unknown) => (typeof p === 'number' ? fdPath.get(p) ?? `fd${p}` : path.relative(root, String(p)) || '.');
  const impl: Record<string, unknown> = {};
  for (const op of OPS) {
    impl[op] = (...args: any[]) => {
      if (dead) throw new Killed('killed');
      calls++;
      perOp.set(op, (perOp.get(op) ?? 0) + 1);
      const file = rel(args[0]);
      if (plan.killAt === calls && !plan.killAfter) {
        dead = true;
        throw new Killed(`killed before ${op} ${file}`);
      }
      const code = plan.fault?.(op, perOp.get(op)!, file);
      const syscall = op.replace(/Sync$/, '');
      const errno = -(os.constants.errno as Record<string, number>)[code ?? ''];
      if (code) throw Object.assign(new Error(`${code}: injected, ${syscall} '${args[0]}'`), { code, errno, syscall, path: String(args[0]) });
      if (op === 'writeSync' && plan.shortWrites) args[3] = Math.min(args[3], plan.shortWrites);
      trace.push(`${op} ${file}${op === 'renameSync' || op === 'linkSync' ? ` ${rel(args[1])}` : ''}`);
      let result: unknown;
      try {
        result = (fs as any)[op](...args);
      } finally {
        if (plan.killAt === calls) {
          dead = true;
          throw new Killed(`killed after ${op} ${file}`); // whether it succeeded or failed (ENOENT...)
        }
      }
      if (op === 'openSync') fdPath.set(result as number, file);
      if (op === 'closeSync') fdPath.delete(args[0]);
      return result;
    };
  }
  return { fs: impl as unknown as FileSystem, trace, calls: () => calls, perOp, killed: () => dead };
}

/** Every file under `dir`, dotfiles and strays included, by '/'-separated relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function put(dir: string, files: Record<string, string>) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

const OLD: Record<string, string> = {
  'ov.k8s.yaml': 'kind: Old\n'.repeat(3000),
  'ov.md': '# old\n',
  'argocd/ov.yaml': 'app: old\n',
  'same.md': 'unchanged\n',
  'gone.k8s.yaml': 'an environment that no longer exists\n',
  'notes.txt': 'not ours\n',
};
const FILES: OutputFile[] = [
  { path: 'ov.md', content: '# new\n' },
  { path: 'ov.k8s.yaml', content: 'kind: New\n'.repeat(5000) },
  { path: 'argocd/ov.yaml', content: 'app: new\n' },
  { path: 'argocd/ov-demo.yaml', content: 'app: demo\n' },
  { path: 'extra/deep/x.yaml', content: 'in a new folder\n' },
  { path: 'same.md', content: 'unchanged\n' },
];
const NEW: Record<string, string> = { ...Object.fromEntries(FILES.map((f) => [f.path, f.content])), 'notes.txt': 'not ours\n' };
const managed = (rel: string) => !rel.endsWith('.txt');
const TARGETS = [...new Set([...Object.keys(OLD), ...Object.keys(NEW)])].sort();
const options = { prune: true, managed };

let root: string;
let dir: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-write-'));
  dir = path.join(root, 'dist');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const read = (rel: string) => (fs.existsSync(path.join(dir, rel)) ? fs.readFileSync(path.join(dir, rel), 'utf8') : undefined);
/** The targets that are neither wholly old nor wholly new (absent counts as the version where the file does not exist). */
const badTargets = () => TARGETS.filter((t) => read(t) !== OLD[t] && read(t) !== NEW[t]);
const isMixed = () => TARGETS.some((t) => OLD[t] !== NEW[t] && read(t) === OLD[t]) && TARGETS.some((t) => OLD[t] !== NEW[t] && read(t) === NEW[t]);
const fullWriteCalls = () => {
  put(dir, OLD);
  const s = seam(dir);
  writeAtomically(dir, FILES, { ...options, fs: s.fs });
  return s;
};
const oneLine = (e: unknown) => {
  expect(e).toBeInstanceOf(OutputError);
  expect((e as Error).message).not.toContain('\n');
  return (e as Error).message;
};
/** Comparable text of a tree, whatever the order of its keys. */
const canon = (files: Record<string, string>) => JSON.stringify(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
/** What `run` threw, or undefined. */
const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('what is written', () => {
  test('writes the changed files, prunes managed files that are not wanted, leaves unmanaged files alone', () => {
    put(dir, OLD);
    const r = writeAtomically(dir, FILES, options);
    expect(r).toEqual({ written: ['argocd/ov-demo.yaml', 'argocd/ov.yaml', 'extra/deep/x.yaml', 'ov.k8s.yaml', 'ov.md'], removed: ['gone.k8s.yaml'] });
    expect(tree(dir)).toEqual(NEW);
  });

  test('without prune nothing is removed', () => {
    put(dir, OLD);
    expect(writeAtomically(dir, FILES, { managed }).removed).toEqual([]);
    expect(tree(dir)).toEqual({ ...NEW, 'gone.k8s.yaml': OLD['gone.k8s.yaml'] });
  });

  test('same bytes: the file is not touched and keeps its mtime; only the changed file is written', () => {
    put(dir, NEW);
    const past = new Date('2001-02-03T04:05:06Z');
    for (const rel of Object.keys(NEW)) fs.utimesSync(path.join(dir, rel), past, past);
    const s = seam(dir);
    expect(writeAtomically(dir, FILES, { ...options, fs: s.fs })).toEqual({ written: [], removed: [] });
    expect(s.trace.filter((t) => /^(openSync|renameSync|unlinkSync) (?!\.synth\.lock)/.test(t))).toEqual([]);
    const changed = FILES.map((f) => (f.path === 'ov.md' ? { ...f, content: '# newer\n' } : f));
    expect(writeAtomically(dir, changed, options).written).toEqual(['ov.md']);
    for (const rel of Object.keys(NEW)) expect([rel, fs.statSync(path.join(dir, rel)).mtimeMs === past.getTime()]).toEqual([rel, rel !== 'ov.md']);
  });

  test('paths outside the folder, reserved names and duplicates are the caller’s bug: a plain Error, nothing written', () => {
    put(dir, OLD);
    for (const bad of ['../x.yaml', '/etc/x.yaml', '.synth.lock', '.synth-journal', 'a/.b.synth-tmp', 'ov.md.12.new'])
      expect(thrown(() => writeAtomically(dir, [{ path: bad, content: '' }]))).not.toBeInstanceOf(OutputError);
    expect(() => writeAtomically(dir, [FILES[0], FILES[0]])).toThrow(/duplicate/);
    expect(tree(dir)).toEqual(OLD);
  });

  test('deterministic: the same operations in the same (sorted) order whatever the order of the files', () => {
    const a = fullWriteCalls().trace;
    put(dir, OLD);
    const s = seam(dir);
    writeAtomically(dir, [...FILES].reverse(), { ...options, fs: s.fs });
    expect(s.trace).toEqual(a);
    const renamed = a.filter((t) => t.startsWith('renameSync') && !t.includes('.synth.lock')).map((t) => t.split(' ')[2]);
    expect(renamed).toEqual([...renamed].sort());
    expect(renamed).toHaveLength(5);
  });

  test('durable order: temps written, fsynced and closed; folders fsynced; journal fsynced; renames; folders fsynced; journal removed', () => {
    const t = fullWriteCalls().trace;
    const at = (entry: string) => {
      expect(t).toContain(entry);
      return t.indexOf(entry);
    };
    const last = (prefix: string) => t.map((x, i) => (x.startsWith(prefix) ? i : -1)).reduce((a, b) => Math.max(a, b));
    const journalOpen = at('openSync .synth-journal');
    const firstRename = t.findIndex((x) => x.startsWith('renameSync') && x.includes('synth-tmp'));
    for (const f of FILES.filter((f) => f.path !== 'same.md')) {
      const temp = path.posix.join(path.posix.dirname(f.path), `.${path.posix.basename(f.path)}.synth-tmp`);
      const [open, sync, close] = [at(`openSync ${temp}`), at(`fsyncSync ${temp}`), at(`closeSync ${temp}`)];
      expect(open < sync && sync < close).toBe(true);
      expect(t.slice(open, sync).filter((x) => x.startsWith('writeSync')).every((x) => x === `writeSync ${temp}`)).toBe(true);
    }
    const lastTempClose = last('closeSync extra/deep/.x.yaml.synth-tmp');
    for (const d of ['.', 'argocd', 'extra', 'extra/deep']) {
      const i = t.indexOf(`fsyncSync ${d}`, lastTempClose);
      expect([d, i > lastTempClose && i < journalOpen]).toEqual([d, true]);
      const j = t.indexOf(`fsyncSync ${d}`, last('unlinkSync gone.k8s.yaml'));
      expect([d, j > 0 && j < at('unlinkSync .synth-journal')]).toEqual([d, true]);
    }
    expect(at('fsyncSync .synth-journal')).toBeLessThan(firstRename);
    expect(t.indexOf('fsyncSync .', at('closeSync .synth-journal'))).toBeLessThan(firstRename);
    expect(last('renameSync')).toBeLessThan(at('unlinkSync gone.k8s.yaml'));
    expect(t.indexOf('fsyncSync .', at('unlinkSync .synth-journal'))).toBeGreaterThan(0);
  });
});

describe('kills (Killed at the Nth file-system call, nothing runs on the disk after it)', () => {
  test('at every call, before or after it: each target is wholly old or new, and the next write leaves exactly the new version', () => {
    const total = fullWriteCalls().calls();
    const failures: string[] = [];
    let kills = 0;
    let mixed = 0;
    for (const killAfter of [false, true])
      for (let n = 1; n <= total; n++) {
        put(dir, OLD);
        const s = seam(dir, { killAt: n, killAfter });
        const e = thrown(() => writeAtomically(dir, FILES, { ...options, fs: s.fs }));
        // Killed, or swallowed by best-effort cleanup at the very end (the lock's release): either way nothing ran after it
        if (s.killed() && (e instanceof Killed || e === undefined)) kills++;
        else failures.push(`${n}${killAfter ? "+" : ""}: ${e} ${s.killed()} ${s.calls()} ${s.trace.slice(-3)}`);
        if (badTargets().length) failures.push(`${n}${killAfter ? '+' : ''}: neither old nor new: ${badTargets()}`);
        if (isMixed()) mixed++;
        writeAtomically(dir, FILES, options);
        if (canon(tree(dir)) !== canon(NEW)) failures.push(`${n}${killAfter ? '+' : ''}: after recovery ${Object.keys(tree(dir))}`);
      }
    expect(failures).toEqual([]);
    expect(kills).toBe(2 * total);
    expect(total).toBeGreaterThan(60);
    expect(mixed).toBeGreaterThan(0); // kills between the renames were exercised
    if (process.env.SHOW_FIGURES) console.log({ total, kills, mixed });
  }, 60_000);

  test('a kill is rolled forward by the next call even if it writes nothing: the folder is wholly old or wholly new', () => {
    const total = fullWriteCalls().calls();
    const failures: string[] = [];
    let forward = 0;
    for (let n = 1; n <= total; n++) {
      put(dir, OLD);
      thrown(() => writeAtomically(dir, FILES, { ...options, fs: seam(dir, { killAt: n }).fs }));
      writeAtomically(dir, [], { managed });
      const now = canon(tree(dir));
      if (now === canon(NEW)) forward++;
      else if (now !== canon(OLD)) failures.push(`${n}: ${now.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect(forward).toBeGreaterThan(5);
  }, 60_000);

  test('a kill during the recovery of a kill: still old or new, and the next write finishes', () => {
    const total = fullWriteCalls().calls();
    const failures: string[] = [];
    let pairs = 0;
    const decided = [...Array(total).keys()].map((i) => i + 1).filter((n) => {
      put(dir, OLD);
      thrown(() => writeAtomically(dir, FILES, { ...options, fs: seam(dir, { killAt: n }).fs }));
      return fs.existsSync(path.join(dir, '.synth-journal'));
    });
    // the first kill where the write is decided, one between the renames, and the last: every call of their recovery
    for (const n of [decided[0], decided[Math.floor(decided.length / 2)], decided[decided.length - 1]]) {
      put(dir, OLD);
      thrown(() => writeAtomically(dir, FILES, { ...options, fs: seam(dir, { killAt: n }).fs }));
      const killed = tree(dir);
      for (let m = 1; ; m++) {
        put(dir, killed);
        const s = seam(dir, { killAt: m });
        thrown(() => writeAtomically(dir, FILES, { ...options, fs: s.fs }));
        pairs++;
        if (badTargets().length) failures.push(`${n}/${m}: neither old nor new: ${badTargets()}`);
        writeAtomically(dir, FILES, options);
        if (canon(tree(dir)) !== canon(NEW)) failures.push(`${n}/${m}: after recovery ${Object.keys(tree(dir))}`);
        if (!s.killed()) break;
      }
    }
    expect(failures).toEqual([]);
    expect(decided.length).toBeGreaterThan(10);
    expect(pairs).toBeGreaterThan(100);
  }, 60_000);

  test('strays of killed writers (temps, the old writer’s .<pid>.new/.old, lock staging, a torn journal, a dead lock) are removed', () => {
    const dead = spawnSync('true').pid!;
    put(dir, {
      ...OLD,
      'ov.k8s.yaml.4242.new': 'half',
      'argocd/ov.yaml.4242.old': 'app: old\n',
      '.ov.md.synth-tmp': '# ha',
      'argocd/.ov.yaml.synth-tmp': 'app',
      '.synth.lock': `${dead}\n`,
      [`.synth.lock.${dead}`]: `${dead}\n`,
      [`.synth.lock.${dead}.stale`]: `${dead}\n`,
      '.synth-journal': '{"write":["ov.k',
      'notes.txt.12.old': 'not ours either',
    });
    writeAtomically(dir, FILES, options);
    expect(tree(dir)).toEqual({ ...NEW, 'notes.txt.12.old': 'not ours either' });
  });
});

describe('machine errors', () => {
  const inject = (fault: Seam['fault'], extra: Partial<Seam> = {}) => {
    put(dir, OLD);
    return thrown(() => writeAtomically(dir, FILES, { ...options, fs: seam(dir, { fault, ...extra }).fs }));
  };

  test('ENOSPC while writing a file (after short writes): no partial file, no temp, targets old, one line', () => {
    const temp = '.ov.k8s.yaml.synth-tmp';
    const full = (op: Op, _n: number, file: string) => op === 'writeSync' && file === temp && fs.statSync(path.join(dir, file)).size > 20000;
    const e = inject((op, n, file) => (full(op, n, file) ? 'ENOSPC' : undefined), { shortWrites: 4096 });
    expect(oneLine(e)).toBe(`cannot write ${dir}/ov.k8s.yaml: no space left on device (ENOSPC)`);
    expect(tree(dir)).toEqual(OLD);
  });

  test('ENOSPC or EIO at every write and fsync: an OutputError naming the code, and the folder exactly as it was', () => {
    const { perOp } = fullWriteCalls();
    for (const code of ['ENOSPC', 'EIO'])
      for (const target of ['writeSync', 'fsyncSync'] as const)
        for (let n = 1; n <= perOp.get(target)!; n++) {
          const e = inject((op, i) => (op === target && i === n ? code : undefined));
          if (target === 'fsyncSync' && n > perOp.get(target)! - 5) {
            // the folder syncs after the renames: decided, the next call finishes
            writeAtomically(dir, FILES, options);
            expect(tree(dir)).toEqual(NEW);
            continue;
          }
          expect([target, n, oneLine(e)]).toEqual([target, n, expect.stringMatching(new RegExp(`^cannot \\w+ ${dir}\\S*: .+ \\(${code}\\)$`))]);
          expect([target, n, tree(dir)]).toEqual([target, n, OLD]);
        }
  }, 60_000);

  test('EIO at any call of any operation: an OutputError or success, never a mix; the next call leaves the new version', () => {
    const { perOp } = fullWriteCalls();
    for (const [target, count] of perOp)
      for (let n = 1; n <= count; n++) {
        const e = inject((op, i) => (op === target && i === n ? 'EIO' : undefined));
        if (e !== undefined) oneLine(e);
        const now = tree(dir);
        if (now['.synth.lock'] === `${process.pid}\n`) delete now['.synth.lock']; // its release failed: taken over next time
        const decided = '.synth-journal' in now;
        if (!decided) expect([target, n, canon(now) === canon(OLD) || canon(now) === canon(NEW)]).toEqual([target, n, true]);
        writeAtomically(dir, FILES, options);
        expect([target, n, tree(dir)]).toEqual([target, n, NEW]);
      }
  }, 60_000);

  test('EACCES / EROFS / ENOENT from the machine: one line with the path and the code', () => {
    expect(oneLine(inject((op, _n, f) => (op === 'openSync' && f.endsWith('synth-tmp') ? 'EACCES' : undefined)))).toBe(
      `cannot write ${dir}/argocd/ov-demo.yaml: permission denied (EACCES)`,
    );
    expect(tree(dir)).toEqual(OLD);
    expect(oneLine(inject((op) => (op === 'openSync' ? 'EROFS' : undefined)))).toBe(`cannot lock ${dir}/.synth.lock: read-only file system (EROFS)`);
    expect(oneLine(inject((op, n) => (op === 'mkdirSync' && n === 4 ? 'ENOENT' : undefined)))).toBe(`cannot create ${dir}/extra/deep: no such file or folder (ENOENT)`);
    expect(oneLine(inject((op) => (op === 'renameSync' ? 'EACCES' : undefined)))).toBe(`cannot replace ${dir}/argocd/ov-demo.yaml: permission denied (EACCES)`);
    writeAtomically(dir, FILES, options); // the journal: the next call finishes
    expect(tree(dir)).toEqual(NEW);
  });

  test('a folder where a file should be (EISDIR), a file where a folder should be (ENOTDIR)', () => {
    put(dir, OLD);
    fs.rmSync(path.join(dir, 'ov.md'));
    fs.mkdirSync(path.join(dir, 'ov.md'));
    expect(oneLine(thrown(() => writeAtomically(dir, FILES, options)))).toBe(`cannot replace ${dir}/ov.md: a folder is in the way (EISDIR)`);
    put(dir, { ...OLD, extra: 'a file' });
    expect(oneLine(thrown(() => writeAtomically(dir, FILES, options)))).toBe(`cannot replace ${dir}/extra/deep/x.yaml: a file is in the way of a folder (ENOTDIR)`);
    expect(tree(dir)).toEqual({ ...OLD, extra: 'a file' });
  });

  test('a file where the output folder should be (EEXIST)', () => {
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, '');
    expect(oneLine(thrown(() => writeAtomically(file, FILES)))).toBe(`cannot create ${file}: a file is in the way (EEXIST)`);
  });

  test('a dangling outdir symlink', () => {
    const link = path.join(root, 'dangling');
    fs.symlinkSync(path.join(root, 'missing'), link);
    expect(oneLine(thrown(() => writeAtomically(link, FILES)))).toBe(`cannot create ${link}: it is a symbolic link to a missing folder (ENOENT)`);
  });

  test('a non-file-system error is rethrown as it is, and the lock is released', () => {
    put(dir, OLD);
    const bug = new TypeError('a bug in managed');
    expect(thrown(() => writeAtomically(dir, FILES, { prune: true, managed: () => { throw bug; } }))).toBe(bug);
    expect(tree(dir)).toEqual(OLD);
  });
});

describe('the lock', () => {
  let sleeper: ChildProcess;
  afterEach(() => sleeper?.kill());

  test('held by a live process: waits lockTimeoutMs, says so once, then LockError naming the file, the pid and what to do', () => {
    put(dir, OLD);
    sleeper = spawn('sleep', ['30']);
    fs.writeFileSync(path.join(dir, '.synth.lock'), `${sleeper.pid}\n`);
    const told: string[] = [];
    const t0 = Date.now();
    const e = thrown(() => writeAtomically(dir, FILES, { ...options, lockTimeoutMs: 300, onWait: (m) => told.push(m) }));
    const waited = Date.now() - t0;
    expect(e).toBeInstanceOf(LockError);
    expect(oneLine(e)).toBe(
      `cannot lock ${dir}/.synth.lock: process ${sleeper.pid} (another synth) still holds it after 300 ms; wait for it to finish and run again, or delete ${dir}/.synth.lock if process ${sleeper.pid} is not a synth`,
    );
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2000);
    expect(told).toEqual([`waiting for another synth (process ${sleeper.pid}) to release ${dir}/.synth.lock`]);
    expect(tree(dir)).toEqual({ ...OLD, '.synth.lock': `${sleeper.pid}\n` }); // not ours: left alone
  });

  test('held by a dead process, or unreadable (a crash): taken over without waiting', () => {
    for (const content of [`${spawnSync('true').pid}\n`, '', 'garbage']) {
      put(dir, { ...OLD, '.synth.lock': content });
      const told: string[] = [];
      writeAtomically(dir, FILES, { ...options, lockTimeoutMs: 60_000, onWait: (m) => told.push(m) });
      expect(told).toEqual([]);
      expect(tree(dir)).toEqual(NEW);
    }
  });

  test('released by its holder while we wait: we go on', async () => {
    put(dir, OLD);
    const lock = path.join(dir, '.synth.lock');
    const release = path.join(root, 'release');
    // The holder lets go once we say we are waiting (onWait runs inside the wait loop).
    const holder = `const fs = require('fs'); fs.writeFileSync(process.argv[1], process.pid + '\\n');
      const t = setInterval(() => { if (fs.existsSync(process.argv[2])) { fs.unlinkSync(process.argv[1]); clearInterval(t); } }, 5);`;
    sleeper = spawn(process.execPath, ['-e', holder, lock, release]);
    while (!fs.existsSync(lock)) await new Promise((r) => setTimeout(r, 10));
    const told: string[] = [];
    writeAtomically(dir, FILES, { ...options, onWait: (m) => (told.push(m), fs.writeFileSync(release, '')) });
    expect(told).toEqual([`waiting for another synth (process ${sleeper.pid}) to release ${lock}`]);
    expect(tree(dir)).toEqual(NEW);
    fs.rmSync(release);
  });

  test('two writers in separate processes never mix: the result is wholly one version', async () => {
    const bundle = path.join(root, 'write.js');
    // require.resolve: the module under test, as jest resolves it (a mutant, when one is mapped in)
    const entry = require.resolve('../lib/synth/write');
    require('esbuild').buildSync({ entryPoints: [entry], bundle: true, platform: 'node', outfile: bundle, logLevel: 'error' });
    const names = ['a.k8s.yaml', 'b.k8s.yaml', 'c.md', 'd.md', 'argocd/e.yaml', 'argocd/f.yaml', 'g/h.yaml', 'i.k8s.yaml'];
    const driver = `
      const { writeAtomically } = require(${JSON.stringify(bundle)});
      const fs = require('fs'), [dir, version, barrier] = process.argv.slice(1);
      fs.writeFileSync(barrier + '.' + version, '');
      while (!fs.existsSync(barrier)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      let waits = 0;
      for (let i = 0; i < 25; i++) {
        const files = ${JSON.stringify(names)}.map((p) => ({ path: p, content: (version + i + ':' + p + '\\n').repeat(2000 + i) }));
        writeAtomically(dir, files, { prune: true, onWait: () => waits++ });
      }
      console.log(waits);`;
    put(dir, {});
    const barrier = path.join(root, 'go');
    const run = (version: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['-e', driver, dir, version, barrier]);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
    const both = Promise.all([run('A'), run('B')]);
    while (!fs.existsSync(`${barrier}.A`) || !fs.existsSync(`${barrier}.B`)) await new Promise((r) => setTimeout(r, 10));
    fs.writeFileSync(barrier, '');
    const results = await both;
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.reduce((n, r) => n + Number(r.out), 0)).toBeGreaterThan(0); // they did contend
    const final = tree(dir);
    expect(Object.keys(final).sort()).toEqual([...names].sort());
    const version = final['a.k8s.yaml'].slice(0, 1);
    for (const p of names) expect(final[p]).toBe(`${version}24:${p}\n`.repeat(2024));
  }, 60_000);
});
