/**
 * The operators' workflow on a clone of this repository, with real git: a release changes only the
 * releases file and dist/, the code then renders exactly that dist/, and `npm run diff` names what
 * changed; a preview comes and goes the same way.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { environmentFor, PREVIEW_HOME } from '../../lib/config/environments';
import { BACKEND } from '../../lib/config/images';

const exec = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const TAG = 'v1.1.2';

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

/**
 * A clone of HEAD beside the tests, with this checkout's installed packages linked one by one. Its caches
 * (bundle, validators) are its own, a copy of this checkout's, so it never races the tests that run this
 * checkout's synth; entries are keyed by content, so a copy is as good as a build.
 */
async function clone(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-clone-'));
  await exec('git', ['clone', '--quiet', '--no-hardlinks', root, dir]);
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(root, 'node_modules'))) {
    if (name !== '.cache') fs.symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name));
  }
  copyCaches(path.join(root, 'node_modules', '.cache', 'open-vault'), path.join(modules, '.cache', 'open-vault'));
  return dir;
}

/** The bundles of main.ts in the clone's cache (scripts/bundle.js names each by the content it is built from). */
const bundles = (dir: string) => fs.readdirSync(path.join(dir, 'node_modules', '.cache', 'open-vault')).filter((f) => /^main-[0-9a-f]+\.js$/.test(f));

async function changed(dir: string): Promise<string[]> {
  const { stdout } = await exec('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir });
  return stdout.split('\n').filter(Boolean).map((l) => l.slice(3)).sort();
}

const ov = (dir: string, ...args: string[]) => exec(process.execPath, ['scripts/ov.js', ...args], { cwd: dir });

test('release, then diff, then a preview added and removed: state and dist/ always agree', async () => {
  const dir = await clone();
  try {
    const before = environmentFor(PREVIEW_HOME).backend.tag;
    await ov(dir, 'release', '--namespace', PREVIEW_HOME, '--backend-tag', TAG, '--quiet');
    const afterRelease = await changed(dir);
    const built = bundles(dir);
    expect(built).toHaveLength(1);
    expect(afterRelease).toContain('lib/config/releases.json');
    expect(afterRelease.filter((f) => f !== 'lib/config/releases.json' && !f.startsWith('dist/'))).toEqual([]);

    // What the freshness test checks: the code renders exactly the dist/ the release wrote.
    await exec(process.execPath, ['scripts/synth.js', '--quiet'], { cwd: dir });
    expect(await changed(dir)).toEqual(afterRelease);

    const { stdout } = await ov(dir, 'diff');
    expect(stdout).toContain(`~ Deployment/${PREVIEW_HOME}/${BACKEND.name} (${PREVIEW_HOME}.k8s.yaml)`);
    expect(stdout).toContain(`containers[${BACKEND.name}].image: ${BACKEND.repository}:${before} → ${BACKEND.repository}:${TAG}`);
    const json = JSON.parse((await ov(dir, 'diff', '--json')).stdout);
    expect(json.objects.map((o: { id: string }) => o.id)).toContain(`Deployment/${PREVIEW_HOME}/${BACKEND.name}`);

    await ov(dir, 'preview', 'add', 'ov-wag', '195', '--quiet');
    const withPreview = await changed(dir);
    expect(withPreview).toContain('dist/previews/ov-wag-pr-195/ov-wag-pr-195.k8s.yaml');
    expect(withPreview).toContain('lib/config/previews.json');
    await exec(process.execPath, ['scripts/synth.js', '--quiet'], { cwd: dir });
    expect(await changed(dir)).toEqual(withPreview);
    await ov(dir, 'preview', 'remove', 'ov-wag', '195', '--quiet');
    expect(await changed(dir)).toEqual(afterRelease);
    // State is data: the releases and previews above were read at run time, by the one bundle built first.
    expect(bundles(dir)).toEqual(built);

    // A state file that is not JSON: one line naming it, exit 2, and dist/ as it was.
    const previews = path.join(dir, 'lib', 'config', 'previews.json');
    fs.writeFileSync(previews, '{ "previews": [');
    const failed = await exec(process.execPath, ['scripts/synth.js', '--quiet'], { cwd: dir }).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/^error: lib\/config\/previews\.json: not JSON: [^\n]+\n$/);
    expect((await changed(dir)).filter((f) => f.startsWith('dist/'))).toEqual(afterRelease.filter((f) => f.startsWith('dist/')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('`cdk8s synth` on a bad registry value: a one-line error, and dist/ byte for byte as it was', async () => {
  const dir = await clone();
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
