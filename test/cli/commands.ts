/**
 * The commands as operators run them: synth's failures and exit codes, its stream, and the commands
 * that change committed state (release, preview), each into folders of the test's own.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { ENVIRONMENTS, PREVIEW_HOME, STATE } from '../../lib/config/environments';
import { MAX_PREVIEWS } from '../../lib/config/preview';
import { main, stream } from '../../lib/synth/cli';
import { preview, release } from '../../lib/synth/state';
import { NO_GITOPS_NOTICE, renderEnvironment } from '../../lib/synth/render';
import { ValidationError } from '../../lib/synth/validate';
import { adopted, EXAMPLE_REPO_URL, tree } from '../helpers';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }, out, err };
}

const temps: string[] = [];
/** A folder of the test's own, removed when the suite ends. */
const temp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cmd-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});
const root = path.join(__dirname, '..', '..');

/** The state files as committed, in a folder of the test's own. */
function stateDir(): string {
  const dir = temp();
  for (const f of ['releases.json', 'previews.json']) fs.copyFileSync(path.join(root, 'lib', 'config', f), path.join(dir, f));
  return dir;
}

describe('synth', () => {
  test('until the repository URL is set, no Argo CD objects, and one line that says so and where to set it', () => {
    const outdir = temp();
    const c = capture();
    expect(main(['--outdir', outdir], {}, c.io)).toBe(0);
    expect(Object.keys(tree(outdir)).filter((f) => f.startsWith('argocd'))).toEqual([]);
    expect(c.out.join('').split('\n').filter((l) => /Argo CD/.test(l))).toEqual([NO_GITOPS_NOTICE]);
    expect(NO_GITOPS_NOTICE).toMatch(/REPO_URL in lib\/config\/environments\.ts/);
    const quiet = capture();
    expect(main(['--outdir', temp(), '--quiet'], {}, quiet.io)).toBe(0);
    expect(quiet.out).toEqual([]);
  });

  test('once it is set, each namespace has its Application and the demo the previews\' ApplicationSet, syncing that URL', () => {
    const outdir = temp();
    const c = capture();
    expect(main(['--outdir', outdir, '--quiet'], {}, c.io, { render: (env, app) => renderEnvironment(adopted(env), app) })).toBe(0);
    const files = tree(outdir);
    for (const env of ENVIRONMENTS) expect(files[`argocd/${env.namespace}.yaml`]).toContain(`repoURL: ${EXAMPLE_REPO_URL}`);
    expect(files[`argocd/${PREVIEW_HOME}-previews.yaml`]).toContain(`repoURL: ${EXAMPLE_REPO_URL}`);
  });

  test('a namespace that does not exist: exit 2, the valid ones named, nothing written', () => {
    const outdir = temp();
    const c = capture();
    expect(main(['--namespace', 'staging', '--outdir', outdir], {}, c.io)).toBe(2);
    expect(c.err.join('')).toBe(`error: unknown namespace "staging": valid namespaces are ${ENVIRONMENTS.map((e) => e.namespace).join(', ')}\n`);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('every failure of every namespace is reported in one run, and nothing is written', () => {
    const outdir = temp();
    const c = capture();
    const broken = (env: Parameters<typeof renderEnvironment>[0]) => {
      throw new ValidationError([{ object: `Namespace/${env.instance ?? env.namespace}`, field: 'metadata', rule: 'test', message: 'broken' }]);
    };
    expect(main(['--outdir', outdir], {}, c.io, { render: broken })).toBe(1);
    for (const env of ENVIRONMENTS) expect(c.err.join('')).toContain(`Namespace/${env.namespace}: metadata: broken [test]`);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('a folder where a file should be: exit 3, one line naming the path and the cause', () => {
    const outdir = temp();
    fs.mkdirSync(path.join(outdir, `${ENVIRONMENTS[0].namespace}.k8s.yaml`));
    const c = capture();
    expect(main(['--outdir', outdir, '--quiet'], {}, c.io)).toBe(3);
    const message = c.err.join('');
    expect(message.split('\n')).toHaveLength(2);
    expect(message).toContain(`${ENVIRONMENTS[0].namespace}.k8s.yaml`);
    expect(message).toMatch(/\(E[A-Z]+\)/);
  });

  test('a dangling output link: exit 3, one line', () => {
    const dir = temp();
    const link = path.join(dir, 'dist');
    fs.symlinkSync(path.join(dir, 'gone'), link);
    const c = capture();
    expect(main(['--outdir', link, '--quiet'], {}, c.io)).toBe(3);
    expect(c.err.join('').split('\n')).toHaveLength(2);
  });

  test('--stdout: one stream in which kubectl finds every object of the namespaces, and nothing is written', () => {
    const outdir = temp();
    const c = capture();
    expect(main(['--stdout', '--outdir', outdir], {}, c.io)).toBe(0);
    expect(fs.readdirSync(outdir)).toEqual([]);
    const text = c.out.join('');
    const expected = ENVIRONMENTS.flatMap((e) => renderEnvironment(e).objects).map((o) => `${o.kind}/${o.metadata.name}`);
    // kubectl's own parser, offline: kustomize reads every document of the stream.
    const dir = temp();
    fs.writeFileSync(path.join(dir, 'stream.yaml'), text);
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - stream.yaml\n');
    const read = loadAll(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })) as Array<{ kind: string; metadata: { name: string } }>;
    expect(read.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([...expected].sort());
    expect(read.every((o) => o.kind !== 'Application' && o.kind !== 'ApplicationSet')).toBe(true);
    expect(stream([])).toBe('');
  });
});

describe('release', () => {
  test('pins a tier\'s tag in the releases file, and renders every namespace with it', () => {
    const [outdir, state] = [temp(), stateDir()];
    const c = capture();
    expect(release(['--namespace', PREVIEW_HOME, '--backend-tag', 'v1.1.2', '--outdir', outdir, '--state-dir', state, '--quiet'], {}, c.io)).toBe(0);
    const releases = JSON.parse(fs.readFileSync(path.join(state, 'releases.json'), 'utf8'));
    expect(releases[PREVIEW_HOME]).toEqual({ ...STATE.releases[PREVIEW_HOME], backend: 'v1.1.2' });
    const others = Object.keys(releases).filter((ns) => ns !== PREVIEW_HOME);
    for (const ns of others) expect(releases[ns]).toEqual(STATE.releases[ns]);
    const files = tree(outdir);
    expect(files[`${PREVIEW_HOME}.k8s.yaml`]).toContain('ghcr.io/wgbh-mla/ov-wag:v1.1.2');
    for (const ns of others) expect(files[`${ns}.k8s.yaml`]).not.toContain('ov-wag:v1.1.2');
  });

  test.each([
    [['--backend-tag', 'v1.1.2'], 'error: --namespace is required'],
    [['--namespace', 'staging', '--backend-tag', 'v1.1.2'], 'error: unknown namespace "staging"'],
    [['--namespace', PREVIEW_HOME], 'error: give --frontend-tag, --backend-tag or both'],
    [['--namespace', PREVIEW_HOME, '--backend-tag', 'latest'], 'error: --backend-tag "latest": must be pinned'],
    // v1.1.0 writes the fixed index "wagtail", not the demo's own.
    [['--namespace', PREVIEW_HOME, '--backend-tag', 'v1.1.0'], 'cannot honour ES_INDEX'],
    // A tag whose facts are not declared (v1.1.4 is no release yet) is not taken to be the newest release.
    [['--namespace', PREVIEW_HOME, '--backend-tag', 'v1.1.4'], 'backend.tag "v1.1.4" is not a tag of ov-wag that lib/config/images.ts declares'],
    [['--namespace', PREVIEW_HOME, '--frontend-tag', 'feature-x'], 'declare it in MOVING_TAGS.frontend'],
  ])('%j is refused with exit 2; neither the releases file nor the output changes', (args, message) => {
    const [outdir, state] = [temp(), stateDir()];
    const before = tree(state);
    const c = capture();
    expect(release([...args, '--outdir', outdir, '--state-dir', state, '--quiet'], {}, c.io)).toBe(2);
    expect(c.err.join('')).toContain(message);
    expect(tree(state)).toEqual(before);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});

describe('a state file with a key given twice', () => {
  test.each([
    ['releases.json', (text: string) => text.replace(/^\{\n/, `{\n  "ov-demo": { "frontend": "v1.2.0", "backend": "v1.1.0" },\n`), '"ov-demo"'],
    ['previews.json', () => '{ "previews": [], "previews": [{ "repo": "ov-wag", "number": 1 }] }\n', '"previews"'],
    ['previews.json', () => '{ "previews": [{ "repo": "ov-wag", "repo": "ov-frontend", "number": 1 }] }\n', '"repo"'],
  ])('%s (%#) is refused in one line naming the key, exit 2, nothing written', (file, edit, key) => {
    const [outdir, state] = [temp(), stateDir()];
    const target = path.join(state, file);
    fs.writeFileSync(target, edit(fs.readFileSync(target, 'utf8')));
    const before = tree(state);
    const c = capture();
    expect(release(['--namespace', PREVIEW_HOME, '--backend-tag', 'v1.1.2', '--outdir', outdir, '--state-dir', state, '--quiet'], {}, c.io)).toBe(2);
    expect(c.err.join('')).toMatch(new RegExp(`^error: ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+: key ${key} is given twice: each key once`));
    expect(c.err.join('').split('\n').filter(Boolean)).toHaveLength(1);
    expect(tree(state)).toEqual(before);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});

describe('preview', () => {
  test('add renders an isolated preview into its own folder; list names it; remove takes it out again', () => {
    const [outdir, state] = [temp(), stateDir()];
    const run = (...args: string[]) => {
      const c = capture();
      const code = preview([...args, '--outdir', outdir, '--state-dir', state, '--quiet'], {}, c.io);
      return { code, out: c.out.join(''), err: c.err.join('') };
    };
    expect(run('add', 'ov-wag', '195')).toMatchObject({ code: 0 });
    expect(run('add', 'ov-frontend', '195')).toMatchObject({ code: 0 });
    const file = JSON.parse(fs.readFileSync(path.join(state, 'previews.json'), 'utf8'));
    expect(file.previews).toEqual([...STATE.previews, { repo: 'ov-frontend', number: 195 }, { repo: 'ov-wag', number: 195 }]);
    const files = Object.keys(tree(outdir));
    expect(files).toContain('previews/ov-wag-pr-195/ov-wag-pr-195.k8s.yaml');
    expect(files).toContain('previews/ov-frontend-pr-195/ov-frontend-pr-195.k8s.yaml');
    expect(run('remove', 'ov-wag', '195')).toMatchObject({ code: 0 });
    expect(Object.keys(tree(outdir))).not.toContain('previews/ov-wag-pr-195/ov-wag-pr-195.k8s.yaml');
    expect(run('add', 'ov-django', '1')).toMatchObject({ code: 2, err: expect.stringContaining('unknown repository "ov-django"') });
    expect(run('add', 'ov-wag', '0')).toMatchObject({ code: 2 });
    expect(run('rename', 'ov-wag', '1')).toMatchObject({ code: 2 });
  });

  test('add of a preview that is there and remove of one that is gone succeed, say so and change nothing', () => {
    const [outdir, state] = [temp(), stateDir()];
    const run = (...args: string[]) => {
      const c = capture();
      const code = preview([...args, '--outdir', outdir, '--state-dir', state], {}, c.io);
      return { code, out: c.out.join(''), err: c.err.join('') };
    };
    expect(run('add', 'ov-wag', '196', '--quiet')).toMatchObject({ code: 0 });
    const [files, states] = [tree(outdir), tree(state)];
    expect(run('add', 'ov-wag', '196')).toEqual({ code: 0, out: 'preview ov-wag-pr-196 is already there: nothing to do\n', err: '' });
    expect(run('add', 'ov-wag', '196', '--quiet')).toEqual({ code: 0, out: '', err: '' });
    expect([tree(outdir), tree(state)]).toEqual([files, states]);
    expect(run('remove', 'ov-wag', '196', '--quiet')).toMatchObject({ code: 0 });
    const [gone, goneState] = [tree(outdir), tree(state)];
    expect(run('remove', 'ov-wag', '196')).toEqual({ code: 0, out: 'preview ov-wag-pr-196 is not there: nothing to do\n', err: '' });
    expect([tree(outdir), tree(state)]).toEqual([gone, goneState]);
  });

  test(`more than the registry's maximum (${MAX_PREVIEWS}) is refused, naming it, and nothing changes`, () => {
    const [outdir, state] = [temp(), stateDir()];
    const full = { previews: Array.from({ length: MAX_PREVIEWS }, (_, i) => ({ repo: 'ov-wag', number: 1000 + i })) };
    fs.writeFileSync(path.join(state, 'previews.json'), JSON.stringify(full));
    const before = tree(state);
    const c = capture();
    expect(preview(['add', 'ov-frontend', '1', '--outdir', outdir, '--state-dir', state, '--quiet'], {}, c.io)).toBe(2);
    expect(c.err.join('')).toContain(`at most ${MAX_PREVIEWS} previews at once`);
    expect(tree(state)).toEqual(before);
    expect(fs.readdirSync(outdir)).toEqual([]);
  });
});
