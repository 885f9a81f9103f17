/**
 * The operators' workflow, as the README gives it, on a copy of this working tree (uncommitted changes
 * included, so that what passes here passes once committed) with real git: releases (a rollback to an older
 * declared tag, a pull-request build), previews added and removed, a switch of the ingress controller and a
 * new host for the demo, each committed. After each, state and dist/ agree; at the end, the clone's own checks pass (CLONE_CHECKS).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { ENVIRONMENTS, PREVIEW_HOME, STATE } from '../../lib/config/environments';
import { BACKEND } from '../../lib/config/images';
import { MAX_PREVIEWS, Preview, previewName } from '../../lib/config/preview';
import { manifestFile, previewFile } from '../../lib/chart/argocd';
import { olderBackendRelease, unusedNumber } from '../helpers';

const exec = promisify(execFile);
const root = path.join(__dirname, '..', '..');

/**
 * What must stay green on the clone once the README's flows are committed: each entry is the arguments of a
 * `node` run in the clone. The fast tier (type check and the suites that start no process) and the apply checks
 * against a real API server (test/cluster-apply-*.test.ts) run here rather than the whole suite.
 */
export const CLONE_CHECKS: readonly (readonly string[])[] = [
  ['scripts/test.js', '--fast'],
  ['node_modules/jest/bin/jest.js', 'test/cluster-apply-csa.test.ts', 'test/cluster-apply-ssa.test.ts'],
];

/**
 * A copy of the cache folder `from`, file by file, taken while other processes may write to it: they write by
 * rename, so each file copied is whole, and one renamed or removed meanwhile is left out.
 */
function copyCaches(from: string, to: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(from, { withFileTypes: true });
  } catch {
    return;
  }
  fs.mkdirSync(to, { recursive: true });
  for (const e of entries) {
    try {
      if (e.isDirectory()) copyCaches(path.join(from, e.name), path.join(to, e.name));
      else fs.copyFileSync(path.join(from, e.name), path.join(to, e.name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

const git = (dir: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=workflow test', '-c', 'user.email=workflow@test.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], { cwd: dir });

/**
 * A repository holding this working tree as it is now (tracked and new files, edited or not; ignored ones and
 * deleted ones not) in one commit, with this checkout's installed packages linked one by one. Its caches
 * (compile cache, type check) are its own, a copy of this checkout's, so it never races the tests that run
 * this checkout's synth; entries are keyed by content, so a copy is as good as a build.
 */
async function cloneWorkingTree(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-clone-'));
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  for (const file of new Set(stdout.split('\0').filter(Boolean))) {
    const from = path.join(root, file);
    if (!fs.lstatSync(from, { throwIfNoEntry: false })?.isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  await git(dir, 'init', '--quiet');
  await git(dir, 'add', '--all');
  await git(dir, 'commit', '--quiet', '-m', 'the working tree');
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(root, 'node_modules'))) {
    if (name !== '.cache') fs.symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name));
  }
  copyCaches(path.join(root, 'node_modules', '.cache', 'open-vault'), path.join(modules, '.cache', 'open-vault'));
  return dir;
}


async function changed(dir: string): Promise<string[]> {
  const { stdout } = await exec('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir });
  return stdout.split('\n').filter(Boolean).map((l) => l.slice(3)).sort();
}

const ov = (dir: string, ...args: string[]) => exec(process.execPath, ['scripts/run.js', 'lib/synth/commands.ts', ...args], { cwd: dir });
const synth = (dir: string) => exec(process.execPath, ['scripts/run.js', 'main.ts', '--quiet'], { cwd: dir });

/** What the README says to do after a command: commit the state file and dist/. Then a synth changes nothing: the code renders that dist/. */
async function commit(dir: string, message: string, files: readonly string[]): Promise<void> {
  await git(dir, 'add', ...files);
  await git(dir, 'commit', '--quiet', '-m', message);
  expect(await changed(dir)).toEqual([]);
  await synth(dir);
  expect([message, await changed(dir)]).toEqual([message, []]);
}

/** The rendered objects of a manifest in the clone. */
const manifest = (dir: string, file: string) => loadAll(fs.readFileSync(path.join(dir, 'dist', file), 'utf8')) as { kind: string }[];

/** Whether a namespace is behind Traefik, as the clone renders it: only Traefik's settings are Middleware objects. */
const behindTraefik = (dir: string, namespace: string) => manifest(dir, manifestFile(namespace)).some((o) => o.kind === 'Middleware');

test('the README\'s flows, each committed on a copy of the working tree, keep state and dist/ in agreement and the checks green', async () => {
  const dir = await cloneWorkingTree();
  const state = ['lib/config/releases.json', 'lib/config/previews.json', 'dist'];
  try {
    const demo = ENVIRONMENTS.find((e) => e.namespace === PREVIEW_HOME)!;
    const production = ENVIRONMENTS.find((e) => e.namespace !== PREVIEW_HOME)!;

    // A rollback: an older declared release, which changes the releases file and dist/ only.
    const rollback = olderBackendRelease(production);
    await ov(dir, 'release', '--namespace', production.namespace, '--backend-tag', rollback, '--quiet');
    const released = await changed(dir);
    expect(released).toContain('lib/config/releases.json');
    expect(released).toContain(`dist/${manifestFile(production.namespace)}`);
    expect(released.filter((f) => f !== 'lib/config/releases.json' && !f.startsWith('dist/'))).toEqual([]);
    const { stdout } = await ov(dir, 'diff');
    expect(stdout).toContain(`~ Deployment/${production.namespace}/${BACKEND.name} (${manifestFile(production.namespace)})`);
    expect(stdout).toContain(`containers[${BACKEND.name}].image: ${BACKEND.repository}:${production.backend.tag} → ${BACKEND.repository}:${rollback}`);
    const json = JSON.parse((await ov(dir, 'diff', '--json')).stdout);
    expect(json.objects.map((o: { id: string }) => o.id)).toContain(`Deployment/${production.namespace}/${BACKEND.name}`);
    await commit(dir, `${production.namespace}: ov-wag ${rollback}`, state);

    // README, Operating: the CI job that releases a backend build to the demo.
    const build = `pr-${unusedNumber([demo.backend.tag])}`;
    await ov(dir, 'release', '--namespace', demo.namespace, '--backend-tag', build, '--quiet');
    expect(await changed(dir)).toContain(`dist/${manifestFile(demo.namespace)}`);
    await commit(dir, `${demo.namespace}: ov-wag ${build}`, state);

    // A preview added, removed, and added again; with no room left, a committed one goes and comes back.
    const preview: Preview = STATE.previews.length < MAX_PREVIEWS ? { repo: 'ov-wag', number: unusedNumber([]) } : STATE.previews[0]!;
    const file = `dist/${previewFile(previewName(preview))}`;
    const steps: ('add' | 'remove')[] = STATE.previews.length < MAX_PREVIEWS ? ['add', 'remove', 'add'] : ['remove', 'add'];
    for (const step of steps) {
      await ov(dir, 'preview', step, preview.repo, String(preview.number), '--quiet');
      const touched = await changed(dir);
      expect(touched).toContain('lib/config/previews.json');
      expect(touched).toContain(file);
      await commit(dir, `preview ${step} ${previewName(preview)}`, state);
    }
    expect(fs.existsSync(path.join(dir, file))).toBe(true);

    // README, Configuration: the controller is one field of the registry; every environment moves to the other.
    const registry = path.join(dir, 'lib', 'config', 'environments.ts');
    const text = fs.readFileSync(registry, 'utf8');
    const swapped = text.replace(/kind: '(nginx|traefik)'/g, (_m, kind: string) => `kind: '${kind === 'nginx' ? 'traefik' : 'nginx'}'`);
    expect(swapped).not.toBe(text);
    const before = ENVIRONMENTS.map((e) => [e.namespace, behindTraefik(dir, e.namespace)] as const);
    fs.writeFileSync(registry, swapped);
    await synth(dir);
    expect(ENVIRONMENTS.map((e) => [e.namespace, !behindTraefik(dir, e.namespace)])).toEqual(before);
    await commit(dir, 'the other ingress controller', ['lib/config/environments.ts', 'dist']);

    // The demo moves to another host: its Ingress, its settings and its previews' hosts follow.
    const host = `moved-${demo.host}`;
    const moved = fs.readFileSync(registry, 'utf8').replace(`host: '${demo.host}'`, `host: '${host}'`);
    expect(moved).toContain(`host: '${host}'`);
    fs.writeFileSync(registry, moved);
    await synth(dir);
    expect(fs.readFileSync(path.join(dir, 'dist', manifestFile(demo.namespace)), 'utf8')).toContain(`host: ${host}`);
    await commit(dir, 'the demo on another host', ['lib/config/environments.ts', 'dist']);

    // A state file that is not JSON: one line naming it, exit 2, and dist/ as it was.
    fs.writeFileSync(path.join(dir, 'lib', 'config', 'previews.json'), '{ "previews": [');
    const failed = await synth(dir).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/^error: lib\/config\/previews\.json: not JSON: [^\n]+\n$/);
    expect(await changed(dir)).toEqual(['lib/config/previews.json']);
    await git(dir, 'checkout', '--quiet', '--', 'lib/config/previews.json');

    // What the committed result must pass, run in the clone as a maintainer would (not this suite inside itself).
    const { JEST_WORKER_ID: _worker, ...env } = process.env;
    for (const check of CLONE_CHECKS) {
      const run = await exec(process.execPath, [...check], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 }).then(() => undefined, (e: { stdout: string; stderr: string }) => e);
      expect([check.join(' '), run && `${run.stdout}\n${run.stderr}`]).toEqual([check.join(' '), undefined]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test('`cdk8s synth` on a bad registry value: a one-line error, and dist/ byte for byte as it was', async () => {
  const dir = await cloneWorkingTree();
  try {
    const file = path.join(dir, 'lib', 'config', 'releases.json');
    const releases = JSON.parse(fs.readFileSync(file, 'utf8'));
    releases[PREVIEW_HOME].frontend = 'latest';
    fs.writeFileSync(file, JSON.stringify(releases));
    const before = await changed(dir);
    const cli = path.join(root, 'node_modules', '.bin', 'cdk8s');
    const failed = await exec(cli, ['synth', '--no-check-upgrade'], { cwd: dir }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain(`error: lib/config/releases.json: ${PREVIEW_HOME}.frontend: must be pinned`);
    // The app says one line; the cdk8s CLI then adds a trace of its own about the failed command.
    const frames = (failed?.stderr ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    expect(frames.filter((l) => !l.includes('cdk8s-cli') && !l.includes('node:'))).toEqual([]);
    expect(await changed(dir)).toEqual(before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
