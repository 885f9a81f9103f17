/**
 * How commands change files (lib/synth/write.ts), against real temp folders through a FileSystem seam that wraps
 * node:fs and either fails one chosen call with an errno, or "kills" the command at its Nth call: it throws `Killed`
 * and refuses every later call, so no cleanup code can touch the disk afterwards, as with SIGKILL. The second half
 * runs the commands themselves (synth, release, preview) on copies of the project's state: each failure of the
 * writer found in issue 19 is a test there.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App } from 'cdk8s';
import { main } from '../lib/synth/cli';
import { preview, release } from '../lib/synth/state';
import { Rendered, renderEnvironment } from '../lib/synth/render';
import { Environment } from '../lib/config/types';
import { FileSystem, LockError, Output, OutputError, OutputFile, RECORD, WORK } from '../lib/synth/write';
import { CONTRACT, DEMO, PRODUCTION } from './helpers';

class Killed extends Error {}

const OPS = ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync', 'linkSync', 'unlinkSync', 'rmdirSync', 'mkdirSync', 'readdirSync', 'readFileSync', 'lstatSync'] as const;
type Op = (typeof OPS)[number];
const TWO_PATHS: readonly Op[] = ['renameSync', 'linkSync'];
const FD_OPS: readonly Op[] = ['writeSync', 'fsyncSync', 'closeSync'];

interface Plan {
  /** Kill at this call (1-based, counting every operation); before it runs, or just after with `killAfter`. */
  killAt?: number;
  killAfter?: boolean;
  /** The errno to throw at a call, if any, given the operation, its number among all calls, and its path. */
  fault?: (op: Op, n: number, file: string) => string | undefined;
  /** writeSync writes at most this many bytes per call, as a real write may. */
  shortWrites?: number;
  /** Absolute paths are taken below this folder, as if it were the root of the file system. */
  chroot?: string;
}

/** A FileSystem over node:fs, with a trace of `op path` (fd operations named by the fd's path). */
function seam(plan: Plan = {}) {
  let calls = 0;
  let dead = false;
  const fdPath = new Map<number, string>();
  const trace: string[] = [];
  const real = (p: unknown) => (plan.chroot && path.isAbsolute(String(p)) ? path.join(plan.chroot, String(p)) : p);
  const impl: Record<string, unknown> = {};
  for (const op of OPS) {
    impl[op] = (...args: any[]) => {
      if (dead) throw new Killed('killed');
      calls++;
      const file = FD_OPS.includes(op) ? fdPath.get(args[0]) ?? `fd${args[0]}` : String(args[0]);
      if (plan.killAt === calls && !plan.killAfter) {
        dead = true;
        throw new Killed(`killed before ${op} ${file}`);
      }
      const code = plan.fault?.(op, calls, file);
      const syscall = op.replace(/Sync$/, '');
      if (code) throw Object.assign(new Error(`${code}: injected, ${syscall} '${file}'`), { code, errno: -(os.constants.errno as Record<string, number>)[code], syscall, path: file });
      if (op === 'writeSync' && plan.shortWrites) args[3] = Math.min(args[3], plan.shortWrites);
      trace.push(`${op} ${file}${TWO_PATHS.includes(op) ? ` ${args[1]}` : ''}`);
      if (!FD_OPS.includes(op)) args[0] = real(args[0]);
      if (TWO_PATHS.includes(op)) args[1] = real(args[1]);
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
  return { fs: impl as unknown as FileSystem, trace, calls: () => calls, killed: () => dead };
}

/** Every file under `dir`, dotfiles included, by '/'-separated relative path; `{}` if there is no such folder. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function put(dir: string, files: Record<string, string>) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

/** What `run` threw, or undefined. */
const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
};
/** The paths whose content differs between two trees: a short message when a comparison fails. */
const differing = (a: Record<string, string>, b: Record<string, string>) => [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
const oneLine = (e: unknown) => {
  expect(e).toBeInstanceOf(OutputError);
  expect((e as Error).message).not.toContain('\n');
  return (e as Error).message;
};

const temps: string[] = [];
const temp = (name = 'ov-write-') => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** Files of a folder that are not synth's: they must outlive every command. */
const FOREIGN: Record<string, string> = {
  'handover.md': 'notes for the next maintainer\n',
  'other.k8s.yaml': 'kind: ConfigMap # of another project\n',
  'argocd/other.yaml': 'kind: Application # of another project\n',
  '.other.synth-tmp': 'another tool\'s temp file\n',
  'ov.123.new': 'looks like an old temp file, is not ours\n',
  'previews/keep/notes.md': 'in a folder of its own\n',
};

describe('the writer', () => {
  const OLD: Record<string, string> = {
    'ov.k8s.yaml': 'kind: Old\n'.repeat(3000),
    'ov.md': '# old\n',
    'argocd/ov.yaml': 'app: old\n',
    'same.md': 'unchanged\n',
    'previews/gone/gone.k8s.yaml': 'a preview that no longer exists\n',
    [RECORD]: 'argocd/ov.yaml\nov.k8s.yaml\nov.md\npreviews/gone/gone.k8s.yaml\nsame.md\n',
    ...FOREIGN,
  };
  const FILES: OutputFile[] = [
    { path: 'ov.md', content: '# new\n' },
    { path: 'ov.k8s.yaml', content: 'kind: New\n'.repeat(5000) },
    { path: 'argocd/ov.yaml', content: 'app: new\n' },
    { path: 'argocd/ov-demo.yaml', content: 'app: demo\n' },
    { path: 'previews/new/new.k8s.yaml', content: 'a new preview\n' },
    { path: 'same.md', content: 'unchanged\n' },
  ];
  const NEW: Record<string, string> = {
    ...Object.fromEntries(FILES.map((f) => [f.path, f.content])),
    [RECORD]: `${FILES.map((f) => f.path).sort().join('\n')}\n`,
    ...FOREIGN,
  };
  let dir: string;
  beforeEach(() => {
    dir = path.join(temp(), 'dist');
    put(dir, OLD);
  });
  const write = (files = FILES, prune = true, fsys?: FileSystem) => Output.locked(dir, { fs: fsys }, (out) => out.commit({ files, prune }));

  test('writes what changed, deletes only recorded files no longer produced, records what it wrote, leaves everything else', () => {
    expect(write()).toEqual({ written: ['argocd/ov-demo.yaml', 'argocd/ov.yaml', 'ov.k8s.yaml', 'ov.md', 'previews/new/new.k8s.yaml'], removed: ['previews/gone/gone.k8s.yaml'] });
    expect(tree(dir)).toEqual(NEW);
    expect(fs.existsSync(path.join(dir, 'previews/gone'))).toBe(false); // the preview's folder went with it
    expect(fs.existsSync(path.join(dir, WORK))).toBe(false); // the work folder goes when empty
  });

  test('without prune nothing is deleted and the record keeps what it had', () => {
    expect(write(FILES, false).removed).toEqual([]);
    expect(tree(dir)[RECORD]).toBe(`${[...FILES.map((f) => f.path), 'previews/gone/gone.k8s.yaml'].sort().join('\n')}\n`);
  });

  test('no record (a folder synth never wrote): nothing is deleted', () => {
    fs.rmSync(path.join(dir, RECORD));
    expect(write().removed).toEqual([]);
    expect(tree(dir)['previews/gone/gone.k8s.yaml']).toBe(OLD['previews/gone/gone.k8s.yaml']);
  });

  test('a record naming files outside the folder or synth\'s own is ignored for them', () => {
    const outside = path.join(path.dirname(dir), 'outside.md');
    fs.writeFileSync(outside, 'not in the folder\n');
    fs.writeFileSync(path.join(dir, RECORD), `../outside.md\n${outside}\n${WORK}/x\n${RECORD}\n`);
    expect(write().removed).toEqual([]);
    expect(fs.readFileSync(outside, 'utf8')).toBe('not in the folder\n');
  });

  test('reads no folder but its work folder: --outdir / deletes nothing else and walks nothing (through the seam, under a scratch root)', () => {
    const root = temp('ov-root-');
    put(root, { 'notes.md': 'the root\'s\n', 'etc/x.k8s.yaml': 'x\n', ...FOREIGN });
    const s = seam({ chroot: root });
    Output.locked('/', { fs: s.fs }, (out) => out.commit({ files: FILES, prune: true }));
    expect(s.trace.filter((t) => t.startsWith('readdirSync'))).toEqual([`readdirSync /${WORK}`]);
    expect(tree(root)).toEqual({ ...NEW, 'notes.md': 'the root\'s\n', 'etc/x.k8s.yaml': 'x\n' });
  });

  test('unchanged files are not touched: same bytes, same mtime, nothing renamed', () => {
    write();
    const mtime = fs.statSync(path.join(dir, 'ov.k8s.yaml')).mtimeMs;
    const s = seam();
    expect(write(FILES, true, s.fs)).toEqual({ written: [], removed: [] });
    expect(s.trace.filter((t) => /^(renameSync|unlinkSync) /.test(t) && !t.includes(`${WORK}/lock`))).toEqual([]);
    expect(fs.statSync(path.join(dir, 'ov.k8s.yaml')).mtimeMs).toBe(mtime);
  });

  test('paths outside the folder, synth\'s own names and duplicates are the caller\'s bug: a plain Error, nothing written', () => {
    for (const bad of ['../x.yaml', '/etc/x.yaml', '.', RECORD, `${WORK}/journal`])
      expect(thrown(() => write([{ path: bad, content: '' }]))).not.toBeInstanceOf(OutputError);
    expect(() => write([FILES[0]!, FILES[0]!])).toThrow(/duplicate/);
    expect(tree(dir)).toEqual(OLD);
  });

  test('durable order: the journal is on disk before the first change; each file written, fsynced and renamed; the journal goes last', () => {
    const s = seam();
    write(FILES, true, s.fs);
    const t = s.trace.filter((l) => !l.includes(`${WORK}/lock`));
    const journalIn = t.findIndex((l) => l.startsWith('renameSync') && l.endsWith(`${WORK}/journal`));
    const firstChange = t.findIndex((l, i) => i > journalIn && l.startsWith('renameSync'));
    expect(journalIn).toBeGreaterThan(-1);
    expect(t.slice(0, journalIn).some((l) => l.startsWith('fsyncSync') && l.includes(`${WORK}/tmp.`))).toBe(true);
    expect(firstChange).toBeGreaterThan(journalIn);
    expect(t.findIndex((l) => l === `unlinkSync ${path.join(dir, WORK, 'journal')}`)).toBeGreaterThan(Math.max(...t.map((l, i) => (l.startsWith('renameSync') ? i : -1))));
    // no temp file is ever made in the output folder itself
    const folders = new Set([dir, path.join(dir, WORK), path.join(dir, 'argocd'), path.join(dir, 'previews', 'new'), path.join(dir, 'previews', 'gone')]);
    expect(t.filter((l) => l.startsWith('openSync') && !l.includes(`/${WORK}/`) && !folders.has(l.slice('openSync '.length)))).toEqual([]);
  });

  test('a kill at any call, before or after it: the next command puts the old files back, then writes the new ones', () => {
    const total = (() => {
      const s = seam();
      write(FILES, true, s.fs);
      return s.calls();
    })();
    for (const killAfter of [false, true])
      for (let n = 1; n <= total; n++) {
        put(dir, OLD);
        const s = seam({ killAt: n, killAfter });
        thrown(() => write(FILES, true, s.fs)); // (a kill in best-effort cleanup is swallowed there, as if it had come after)
        expect(s.killed()).toBe(true);
        // The next command first puts back what the killed one changed, whatever it then writes.
        Output.locked(dir, {}, () => undefined);
        const after = tree(dir);
        const version = differing(after, OLD).length === 0 ? 'old' : differing(after, NEW).length === 0 ? 'new' : differing(after, OLD);
        expect([n, killAfter, version]).toEqual([n, killAfter, expect.stringMatching(/^(old|new)$/)]);
        write();
        expect(tree(dir)).toEqual(NEW);
      }
  });

  test('a kill while putting back a killed transaction: the next command still ends at the old files', () => {
    put(dir, OLD);
    thrown(() => write(FILES, true, seam({ killAt: 40 }).fs));
    for (let n = 1; n < 60; n++) {
      const s = seam({ killAt: n });
      thrown(() => Output.locked(dir, { fs: s.fs }, () => undefined));
      if (!s.killed()) break;
    }
    Output.locked(dir, {}, () => undefined);
    expect(differing(tree(dir), OLD)).toEqual([]);
  });

  test('ENOSPC, EIO or EACCES at any call: one line naming the path and the code, and every file exactly as it was', () => {
    for (const code of ['ENOSPC', 'EIO', 'EACCES'])
      for (let n = 1; ; n++) {
        put(dir, OLD);
        const s = seam({ fault: (_op, call) => (call === n ? code : undefined), shortWrites: 4096 });
        const e = thrown(() => write(FILES, true, s.fs));
        if (e === undefined) {
          expect(tree(dir)).toEqual(NEW);
          break;
        }
        expect(oneLine(e)).toMatch(new RegExp(`^cannot \\w+ .*\\(${code}\\)$`));
        expect([code, n, differing(tree(dir), OLD)]).toEqual([code, n, []]);
      }
  });

  test('a folder where a file should be (EISDIR), a file where a folder should be (ENOTDIR), a file as the output folder, a dangling link', () => {
    fs.rmSync(path.join(dir, 'ov.md'));
    fs.mkdirSync(path.join(dir, 'ov.md'));
    expect(oneLine(thrown(() => write()))).toBe(`cannot read ${dir}/ov.md: a folder is in the way (EISDIR)`);
    put(dir, { [RECORD]: OLD[RECORD]!, previews: 'a file' });
    expect(oneLine(thrown(() => write()))).toMatch(new RegExp(`^cannot (read|create) ${dir}/previews.*: a file is in the way of a folder \\(ENOTDIR\\)$`));
    const file = path.join(temp(), 'file');
    fs.writeFileSync(file, '');
    expect(oneLine(thrown(() => Output.locked(file, {}, () => undefined)))).toBe(`cannot create ${file}/${WORK}: a file is in the way of a folder (ENOTDIR)`);
    const link = path.join(temp(), 'link');
    fs.symlinkSync(path.join(link, '..', 'missing'), link);
    expect(oneLine(thrown(() => Output.locked(link, {}, () => undefined)))).toBe(`cannot create ${link}: it is a symbolic link to a missing folder (ENOENT)`);
  });

  describe('the lock', () => {
    const lock = () => path.join(dir, WORK, 'lock');
    test('held by a live process: waits, says so once, then a LockError naming the file, the pid and what to do', () => {
      fs.mkdirSync(path.join(dir, WORK));
      fs.writeFileSync(lock(), `${process.ppid}\n`);
      const told: string[] = [];
      const e = thrown(() => Output.locked(dir, { lockTimeoutMs: 300, onWait: (m) => told.push(m) }, () => undefined));
      expect(e).toBeInstanceOf(LockError);
      expect(oneLine(e)).toMatch(new RegExp(`^cannot lock ${lock()}: process ${process.ppid} .* still holds it after 300 ms; wait for it to finish and run again, or delete ${lock()} if`));
      expect(told).toEqual([`waiting for process ${process.ppid} to release ${lock()}`]);
    });

    test('its work folder removed, empty, by a command that just finished: made again, and the lock taken', () => {
      let removed = false;
      const s = seam({ fault: (op, _n, file) => {
        if (op !== 'openSync' || removed || !file.endsWith(`${WORK}/lock.${process.pid}`)) return undefined;
        removed = true;
        fs.rmdirSync(path.join(dir, WORK));
        return 'ENOENT';
      } });
      expect(write(FILES, true, s.fs).written.length).toBeGreaterThan(0);
      expect(removed).toBe(true);
      expect(tree(dir)).toEqual(NEW);
    });

    test('held by a dead process, or unreadable (a crash): taken over without waiting', () => {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      for (const holder of [`${dead}\n`, 'garbage']) {
        fs.mkdirSync(path.join(dir, WORK), { recursive: true });
        fs.writeFileSync(lock(), holder);
        const told: string[] = [];
        Output.locked(dir, { lockTimeoutMs: 60_000, onWait: (m) => told.push(m) }, (out) => out.commit({ files: FILES, prune: true }));
        expect(told).toEqual([]);
        expect(tree(dir)).toEqual(NEW);
      }
    });
  });
});

/**
 * The commands on copies of the committed state, each into an output folder of its own. An environment renders
 * the same on every call, so rendering is memoized: the kill loops run the commands hundreds of times.
 */
describe('the commands', () => {
  const memo = new Map<string, Rendered>();
  const render = (env: Environment, app: App) => {
    const key = JSON.stringify(env);
    if (!memo.has(key)) memo.set(key, renderEnvironment(env, app));
    return memo.get(key)!;
  };
  const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
  let template: string;
  const RELEASE = ['--namespace', DEMO.namespace, '--frontend-tag', 'pr-1', '--backend-tag', 'pr-2'];

  interface Project { root: string; dist: string; state: string }
  /** A copy of the project's state and a full synth of it in dist/, in a git repository with the project's .gitignore. */
  function project(): Project {
    const root = temp('ov-project-');
    fs.cpSync(template, root, { recursive: true });
    return { root, dist: path.join(root, 'dist'), state: path.join(root, 'state') };
  }
  const args = (p: Project) => ['--outdir', p.dist, '--state-dir', p.state, '--quiet'];
  const snapshot = (p: Project) => ({ state: tree(p.state), dist: tree(p.dist) });
  /** dist/ as a synth of the state now renders it: the state and dist/ agree. */
  function rendered(p: Project): Record<string, string> {
    const fresh = path.join(temp(), 'dist');
    fs.cpSync(p.dist, fresh, { recursive: true }); // foreign files and the record as they are
    expect(main(['--outdir', fresh, '--state-dir', p.state, '--quiet'], {}, quiet, { render })).toBe(CONTRACT.exit.done);
    return tree(fresh);
  }

  beforeAll(() => {
    template = temp('ov-template-');
    fs.mkdirSync(path.join(template, 'state'));
    for (const f of ['releases.json', 'previews.json']) fs.copyFileSync(path.join(__dirname, '..', 'lib', 'config', f), path.join(template, 'state', f));
    fs.mkdirSync(path.join(template, 'dist'));
    for (const [rel, text] of Object.entries(FOREIGN)) {
      fs.mkdirSync(path.dirname(path.join(template, 'dist', rel)), { recursive: true });
      fs.writeFileSync(path.join(template, 'dist', rel), text);
    }
    expect(main(['--outdir', path.join(template, 'dist'), '--state-dir', path.join(template, 'state'), '--quiet'], {}, quiet, { render })).toBe(CONTRACT.exit.done);
    fs.copyFileSync(path.join(__dirname, '..', '.gitignore'), path.join(template, '.gitignore'));
    spawnSync('git', ['init', '-q', template]);
  });

  test('a synth leaves every file it did not write: dist/handover.md, and in an --outdir other *.md, *.k8s.yaml, argocd/*.yaml and temp files', () => {
    const p = project();
    for (const [rel, text] of Object.entries(FOREIGN)) expect([rel, tree(p.dist)[rel]]).toEqual([rel, text]);
    expect(main(args(p), {}, quiet, { render })).toBe(CONTRACT.exit.done);
    for (const [rel, text] of Object.entries(FOREIGN)) expect([rel, tree(p.dist)[rel]]).toEqual([rel, text]);
  });

  test('--outdir /: the command walks nothing and deletes nothing of the root (through the seam, under a scratch root)', () => {
    const p = project();
    const root = temp('ov-root-');
    put(root, { 'notes.md': 'the root\'s\n', 'home/x/ov.k8s.yaml': 'not ours\n', ...FOREIGN });
    const s = seam({ chroot: root });
    expect(main(['--outdir', '/', '--state-dir', p.state, '--quiet'], {}, quiet, { render, fs: s.fs })).toBe(CONTRACT.exit.done);
    expect(s.trace.filter((t) => t.startsWith('readdirSync'))).toEqual([`readdirSync /${WORK}`]);
    const after = tree(root);
    expect(after['notes.md']).toBe('the root\'s\n');
    expect(after['home/x/ov.k8s.yaml']).toBe('not ours\n');
    for (const [rel, text] of Object.entries(FOREIGN)) expect(after[rel]).toBe(text);
  });

  test('a preview removed: its recorded file and folder go, nothing else', () => {
    const p = project();
    expect(preview(['add', 'ov-wag', '7', ...args(p)], {}, quiet, { render })).toBe(CONTRACT.exit.done);
    expect(Object.keys(tree(p.dist))).toContain('previews/ov-wag-pr-7/ov-wag-pr-7.k8s.yaml');
    expect(preview(['remove', 'ov-wag', '7', ...args(p)], {}, quiet, { render })).toBe(CONTRACT.exit.done);
    expect(fs.existsSync(path.join(p.dist, 'previews', 'ov-wag-pr-7'))).toBe(false);
    expect(tree(p.dist)).toEqual(tree(path.join(template, 'dist')));
  });

  /** Kills `command` at its 1st, 2nd, ... file-system call, on a fresh project each time; `check` looks after each kill. */
  function killEverywhere(command: (p: Project, fsys: FileSystem) => unknown, check: (p: Project, n: number) => void): number {
    let n = 1;
    for (; ; n++) {
      const p = project();
      const s = seam({ killAt: n, killAfter: n % 2 === 0 });
      command(p, s.fs);
      if (!s.killed()) break;
      check(p, n);
    }
    return n;
  }

  test('a release killed at any call: git add dist stages no lock, journal or temp file, and the next command brings state and dist/ back into agreement, the release wholly done or undone', () => {
    const before = snapshot(project());
    let after: ReturnType<typeof snapshot> | undefined;
    const done = project();
    expect(release([...RELEASE, ...args(done)], {}, quiet, { render })).toBe(CONTRACT.exit.done);
    after = snapshot(done);
    const calls = killEverywhere((p, fsys) => release([...RELEASE, ...args(p)], {}, quiet, { render, fs: fsys }), (p, n) => {
      spawnSync('git', ['-C', p.root, 'add', 'dist']);
      const staged = spawnSync('git', ['-C', p.root, 'diff', '--cached', '--name-only'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      expect([n, staged.filter((f) => f.startsWith(`dist/${WORK}/`))]).toEqual([n, []]);
      expect(main(args(p), {}, quiet, { render })).toBe(CONTRACT.exit.done); // npm run synth repairs first
      const now = snapshot(p);
      expect([n, JSON.stringify(now) === JSON.stringify(before) || JSON.stringify(now) === JSON.stringify(after)]).toEqual([n, true]);
    });
    expect(calls).toBeGreaterThan(10);
  });

  test('a killed release is not applied by an unrelated preview add: after it, state and dist/ agree', () => {
    const original = tree(path.join(template, 'state'))['releases.json'];
    killEverywhere((p, fsys) => release([...RELEASE, ...args(p)], {}, quiet, { render, fs: fsys }), (p, n) => {
      expect(preview(['add', 'ov-frontend', '9', ...args(p)], {}, quiet, { render })).toBe(CONTRACT.exit.done);
      const releases = tree(p.state)['releases.json'];
      if (releases !== original) expect([n, releases]).toEqual([n, expect.stringContaining('"pr-2"')]); // only if the release had wholly finished
      expect([n, tree(p.dist)]).toEqual([n, rendered(p)]);
    });
  });

  test('a one-namespace synth after a killed synth touches no other namespace\'s file', () => {
    const edit = (p: Project) => {
      const file = path.join(p.state, 'releases.json');
      const releases = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const ns of Object.keys(releases)) releases[ns].backend = 'pr-3';
      fs.writeFileSync(file, `${JSON.stringify(releases, null, 2)}\n`);
    };
    const production = `${PRODUCTION.namespace}.k8s.yaml`;
    const old = tree(path.join(template, 'dist'))[production];
    killEverywhere((p, fsys) => (edit(p), main(args(p), {}, quiet, { render, fs: fsys })), (p, n) => {
      // Killed before its journal was gone, the synth is undone; after, it was done.
      const expected = fs.existsSync(path.join(p.dist, WORK, 'journal')) ? old : tree(p.dist)[production];
      expect(main([...args(p), '--namespace', DEMO.namespace], {}, quiet, { render })).toBe(CONTRACT.exit.done);
      expect([n, tree(p.dist)[production] === expected]).toEqual([n, true]);
    });
  });

  test(`a release that fails with exit ${CONTRACT.exit.machine} (a full disk, an error, a state folder it cannot write) has changed neither dist/ nor the state`, () => {
    const before = snapshot(project());
    for (const code of ['ENOSPC', 'EIO']) {
      for (let n = 1; ; n++) {
        const p = project();
        const r = release([...RELEASE, ...args(p)], {}, quiet, { render, fs: seam({ fault: (_op, call) => (call === n ? code : undefined) }).fs });
        if (r === CONTRACT.exit.done) break;
        expect([code, n, r, snapshot(p)]).toEqual([code, n, CONTRACT.exit.machine, before]);
      }
    }
    const p = project();
    const stateTemp = (file: string) => file.endsWith('.releases.json.synth-tmp');
    const err: string[] = [];
    const r = release([...RELEASE, ...args(p)], {}, { ...quiet, stderr: { write: (s: string) => err.push(s) } }, { render, fs: seam({ fault: (op, _n, file) => (op === 'openSync' && stateTemp(file) ? 'EACCES' : undefined) }).fs });
    expect(r).toBe(CONTRACT.exit.machine);
    expect(err.join('')).toMatch(/^error: cannot write .*releases\.json: permission denied \(EACCES\)\n$/);
    expect(snapshot(p)).toEqual(before);
  });

  /**
   * Runs `command` in-process while a child process runs `other` against the same project: the in-process
   * command pauses after it read the state (while rendering) until the child either waits for the lock or has
   * changed the state, so the two always overlap. Resolves with both exit codes once the child has finished.
   */
  async function overlapping(p: Project, other: string[], command: (seams: { render: typeof render }) => number): Promise<[number, number | null, string]> {
    const log = path.join(temp(), 'child.log');
    const fd = fs.openSync(log, 'w');
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'run.js'), 'lib/synth/commands.ts', ...other, ...args(p)], { stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const state = snapshot(p).state;
    let paused = false;
    const pause = (env: Environment, app: App) => {
      if (!paused) {
        paused = true;
        const deadline = Date.now() + 60_000;
        while (!/waiting for process/.test(fs.readFileSync(log, 'utf8')) && JSON.stringify(tree(p.state)) === JSON.stringify(state) && child.exitCode === null && Date.now() < deadline)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
      return render(env, app);
    };
    const code = command({ render: pause });
    const childCode = await exited;
    fs.closeSync(fd);
    return [code, childCode, fs.readFileSync(log, 'utf8')];
  }

  test('two preview adds at once: both exit 0, both previews are in the state and in dist/', async () => {
    const p = project();
    const [a, b, log] = await overlapping(p, ['preview', 'add', 'ov-frontend', '8'], (seams) => preview(['add', 'ov-wag', '7', ...args(p)], {}, quiet, seams));
    expect([a, b, log]).toEqual([CONTRACT.exit.done, CONTRACT.exit.done, expect.stringMatching(/^(waiting for process \d+ to release .*\n)?$/)]);
    expect(JSON.parse(tree(p.state)['previews.json']!).previews.map((x: { number: number }) => x.number).sort()).toEqual([7, 8]);
    expect(tree(p.dist)).toEqual(rendered(p));
  }, 120_000);

  test('a release beside a synth: both exit 0, and dist/ renders the state that results', async () => {
    const p = project();
    const [a, b] = await overlapping(p, ['release', ...RELEASE], (seams) => main(args(p), {}, quiet, seams));
    expect([a, b]).toEqual([CONTRACT.exit.done, CONTRACT.exit.done]);
    expect(tree(p.state)['releases.json']).toContain('"pr-2"');
    expect(tree(p.dist)).toEqual(rendered(p));
  }, 120_000);
});
