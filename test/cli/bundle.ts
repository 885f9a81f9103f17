/**
 * The bundler of the entry points (scripts/bundle.js), on a project of the test's own: its cache key covers
 * every project file it bundles, and it refuses one it would not cover (a JSON file of lib/, which is state).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONTRACT } from '../helpers';

const root = path.join(__dirname, '..', '..');

/** Runs `check` on a project with this bundler, esbuild linked in, and `files` (path → text); removes it after. */
function inProject(files: Record<string, string>, check: (dir: string) => void): void {
  const dir = project(files);
  try {
    check(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A project with this bundler, esbuild linked in, and `files` (path → text). */
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-bundle-'));
  for (const [file, text] of Object.entries({ 'package-lock.json': '{}\n', 'imports/.keep': '', ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(root, 'scripts', 'bundle.js'), path.join(dir, 'scripts', 'bundle.js'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(root, 'node_modules', 'esbuild'), path.join(dir, 'node_modules', 'esbuild'));
  return dir;
}

const bundler = (dir: string) => require(path.join(dir, 'scripts', 'bundle.js')) as { bundled(entry: string): string };

test('a bundle is named by its sources: an edit of one makes another, and the same sources the same name', () => {
  inProject({ 'main.ts': "import { x } from './lib/x';\nexport const y = x;\n", 'lib/x.ts': 'export const x = 1;\n' }, (dir) => {
    const first = bundler(dir).bundled('main.ts');
    expect(bundler(dir).bundled('main.ts')).toBe(first);
    fs.writeFileSync(path.join(dir, 'lib', 'x.ts'), 'export const x = 2;\n');
    const second = bundler(dir).bundled('main.ts');
    expect(second).not.toBe(first);
    expect(fs.readFileSync(second, 'utf8')).toContain('2');
    // esbuild reads tsconfig.json: it is an input like the code
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{ "compilerOptions": { "target": "es2020" } }\n');
    expect(bundler(dir).bundled('main.ts')).not.toBe(second);
  });
});

test('a JSON file of lib/ bundled into the code is refused, named: its cache key would not see it change', () => {
  inProject({ 'main.ts': "import data from './lib/state.json';\nexport const y = data;\n", 'lib/state.json': '{"a":1}\n' }, (dir) => {
    expect(() => bundler(dir).bundled('main.ts')).toThrow(/lib\/state\.json would be bundled but not be in the cache key/);
    expect(fs.readdirSync(path.join(dir, 'node_modules', '.cache', 'open-vault')).filter((f) => f.endsWith('.js'))).toEqual([]);
  });
});

test('a source that does not build: one line naming the file, and the exit code of an internal fault', () => {
  inProject({ 'main.ts': "import { x } from './lib/x';\nexport const y = x;\n", 'lib/x.ts': 'export const x = ;\n' }, (dir) => {
    const r = spawnSync(process.execPath, ['-e', "require('./scripts/bundle').load('main.ts')"], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(CONTRACT.exit.internal);
    expect(r.stderr).toMatch(/^error: cannot build main\.ts: lib\/x\.ts:1:\d+: [^\n]+\n$/);
  });
});
