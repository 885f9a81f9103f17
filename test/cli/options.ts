/** The command line, run in-process against a scratch output folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../lib/synth/cli';
import { writeAtomically } from '../../lib/output';
import { tree } from '../helpers';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let outdir: string;
/** A complete synth, made once: tests that need a full output folder start from a copy. */
let synthesized: string;
let fullSynth: Result;
beforeAll(() => {
  synthesized = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-full-'));
  outdir = synthesized;
  fullSynth = cli([]);
});
afterAll(() => fs.rmSync(synthesized, { recursive: true, force: true }));
beforeEach(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-'));
});
afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

const startFromFullSynth = () => fs.cpSync(synthesized, outdir, { recursive: true });

function cli(argv: string[], vars: Record<string, string> = {}, isTTY = false): Result {
  let stdout = '';
  let stderr = '';
  const code = main(argv, { CDK8S_OUTDIR: outdir, ...vars }, {
    stdout: { write: (s: string) => (stdout += s), isTTY },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}


const read = (file: string) => fs.readFileSync(path.join(outdir, file), 'utf8');

describe('success', () => {
  test('with no options, every namespace: manifests, topology pages and Applications, and a summary', () => {
    const r = fullSynth;
    expect(r).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(Object.keys(tree(synthesized))).toEqual([
      'argocd/ov-demo.yaml', 'argocd/ov.yaml', 'ov-demo.k8s.yaml', 'ov-demo.md', 'ov.k8s.yaml', 'ov.md',
    ]);
    expect(r.stdout).toMatch(/^namespace\s+file\s+objects\s+size/);
    expect(r.stdout).toContain(path.join(synthesized, 'ov.k8s.yaml'));
    expect(r.stdout).toMatch(/Deployment 2/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  test('--namespace rewrites only that namespace; the other files stay byte-identical', () => {
    startFromFullSynth();
    const other = ['ov-demo.k8s.yaml', 'ov-demo.md', 'argocd/ov-demo.yaml'];
    for (const f of other) fs.appendFileSync(path.join(outdir, f), '# edited by hand\n');
    const before = tree(outdir);
    fs.writeFileSync(path.join(outdir, 'ov.k8s.yaml'), 'stale');
    expect(cli(['--namespace', 'ov', '--quiet']).code).toBe(EXIT.ok);
    const after = tree(outdir);
    for (const f of other) expect(after[f]).toBe(before[f]);
    expect(after['ov.k8s.yaml']).toBe(before['ov.k8s.yaml']);
  });

  test('a tag option applies to every namespace synthesized', () => {
    expect(cli(['--frontend-tag', 'v2.0.0', '-q']).code).toBe(EXIT.ok);
    for (const ns of ['ov', 'ov-demo']) {
      expect(read(`${ns}.k8s.yaml`)).toContain('image: ghcr.io/wgbh-mla/ov-frontend:v2.0.0');
      expect(read(`${ns}.k8s.yaml`)).toContain('image: ghcr.io/wgbh-mla/ov-wag:v1.1.0');
    }
  });

  test('the tag variables do what the options do, and an option wins', () => {
    cli(['-q', '-n', 'ov-demo'], { OV_BACKEND_TAG: 'pr-195', OV_FRONTEND_TAG: 'main' });
    expect(read('ov-demo.k8s.yaml')).toContain('image: ghcr.io/wgbh-mla/ov-wag:pr-195');
    expect(read('ov-demo.k8s.yaml')).toContain('name: ov-wag-migrate-pr-195');
    expect(read('ov-demo.k8s.yaml')).toContain('image: ghcr.io/wgbh-mla/ov-frontend:main');
    cli(['-q', '-n', 'ov-demo', '--backend-tag', 'v1.2.0'], { OV_BACKEND_TAG: 'bad tag' });
    expect(read('ov-demo.k8s.yaml')).toContain('image: ghcr.io/wgbh-mla/ov-wag:v1.2.0');
  });

  test('--quiet prints nothing; colour only on a terminal, and never with NO_COLOR', () => {
    expect(cli(['--quiet', '-n', 'ov-demo'])).toEqual({ code: EXIT.ok, stdout: '', stderr: '' });
    expect(cli(['-n', 'ov-demo'], {}, true).stdout).toContain('\x1b[');
    expect(cli(['-n', 'ov-demo'], { NO_COLOR: '1' }, true).stdout).not.toContain('\x1b[');
  });

  test('--help prints usage, the namespaces and the variables, and writes nothing', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain('Usage: npm run synth');
    expect(r.stdout).toContain('Valid: ov, ov-demo');
    expect(r.stdout).toContain('OV_FRONTEND_TAG');
    expect(r.stdout).toContain('OV_BACKEND_TAG');
    expect(tree(outdir)).toEqual({});
  });
});

describe('bad input: one line naming the value and what is allowed, exit 2, nothing written', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['unknown namespace', ['--namespace', 'staging'], {}, /^error: unknown namespace "staging": valid namespaces are ov, ov-demo$/],
    ['empty namespace', ['--namespace', ''], {}, /^error: unknown namespace "": valid namespaces are ov, ov-demo$/],
    ['option without its value', ['--namespace'], {}, /--namespace.*argument missing; run with --help for usage$/],
    ['option whose value is another option', ['--frontend-tag', '--quiet'], {}, /--frontend-tag' argument is ambiguous\. Did you forget .* run with --help for usage$/],
    ['unknown option', ['--replicas', '3'], {}, /Unknown option '--replicas'; run with --help for usage$/],
    ['stray argument', ['ov'], {}, /Unexpected argument 'ov'.*; run with --help for usage$/],
    ['tag with a space', ['--frontend-tag', 'v1 .0'], {}, /^error: --frontend-tag "v1 \.0": must match \[A-Za-z0-9_\]/],
    ['tag with a slash', ['--backend-tag', 'feature/x'], {}, /^error: --backend-tag "feature\/x": must match/],
    ['tag with a colon', ['--backend-tag', 'v1:2'], {}, /^error: --backend-tag "v1:2": must match/],
    ['tag with a leading dash', ['--backend-tag=-v1'], {}, /^error: --backend-tag "-v1": must match/],
    ['tag with a leading dot', ['--frontend-tag', '.v1'], {}, /^error: --frontend-tag "\.v1": must match/],
    ['tag of 129 characters', ['--frontend-tag', 'v'.repeat(129)], {}, /^error: --frontend-tag "v{129}": must match .*at most 128 characters/],
    ['latest', ['--frontend-tag', 'latest'], {}, /^error: --frontend-tag "latest": must be pinned/],
    ['empty tag', ['--frontend-tag', ''], {}, /^error: --frontend-tag "": must not be empty$/],
    ['bad variable', [], { OV_FRONTEND_TAG: 'a b' }, /^error: OV_FRONTEND_TAG "a b": must match/],
    ['empty variable', [], { OV_BACKEND_TAG: '' }, /^error: OV_BACKEND_TAG "": must not be empty$/],
    ['latest variable', [], { OV_BACKEND_TAG: 'latest' }, /^error: OV_BACKEND_TAG "latest": must be pinned/],
  ];

  test.each(cases)('%s', (_name, argv, vars, message) => {
    startFromFullSynth();
    fs.writeFileSync(path.join(outdir, 'notes.txt'), 'kept');
    const before = tree(outdir);
    const r = cli(argv, vars);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(tree(outdir)).toEqual(before);
  });

  test('the longest valid tag is accepted', () => {
    expect(cli(['-q', '-n', 'ov-demo', '--frontend-tag', `v${'1'.repeat(127)}`]).code).toBe(EXIT.ok);
  });
});

describe('output', () => {
  test('a full synth removes the files of an environment that no longer exists, and nothing else', () => {
    startFromFullSynth();
    for (const f of ['ov-old.k8s.yaml', 'ov-old.md', 'argocd/ov-old.yaml', 'notes.txt']) fs.writeFileSync(path.join(outdir, f), 'x');
    cli(['-q', '-n', 'ov']);
    expect(Object.keys(tree(outdir))).toContain('ov-old.k8s.yaml');
    cli(['-q']);
    expect(Object.keys(tree(outdir))).toEqual([
      'argocd/ov-demo.yaml', 'argocd/ov.yaml', 'notes.txt', 'ov-demo.k8s.yaml', 'ov-demo.md', 'ov.k8s.yaml', 'ov.md',
    ]);
  });

  test('a failure in the middle of writing leaves the folder exactly as it was', () => {
    fs.writeFileSync(path.join(outdir, 'a.k8s.yaml'), 'old a');
    fs.writeFileSync(path.join(outdir, 'c.k8s.yaml'), 'old c');
    fs.writeFileSync(path.join(outdir, 'blocker'), 'a file where a folder is needed');
    const before = tree(outdir);
    const files = [
      { path: 'a.k8s.yaml', content: 'new a' },
      { path: 'b.k8s.yaml', content: 'new b' },
      { path: 'c.k8s.yaml', content: 'new c' },
      { path: 'argocd/c.yaml', content: 'in a new folder' },
      { path: 'blocker/d.k8s.yaml', content: 'cannot be written' },
    ];
    expect(() => writeAtomically(outdir, files, { prune: true, managed: (f) => f.endsWith('.k8s.yaml') })).toThrow();
    expect(tree(outdir)).toEqual(before);
    expect(fs.readdirSync(outdir).sort()).toEqual(['a.k8s.yaml', 'blocker', 'c.k8s.yaml']);
  });

  test('a failure while replacing puts back the files already replaced', () => {
    fs.writeFileSync(path.join(outdir, 'a.k8s.yaml'), 'old a');
    fs.mkdirSync(path.join(outdir, 'z.k8s.yaml'));
    fs.writeFileSync(path.join(outdir, 'z.k8s.yaml', 'inside'), 'a folder where a file goes');
    const before = tree(outdir);
    const files = [{ path: 'a.k8s.yaml', content: 'new a' }, { path: 'z.k8s.yaml', content: 'new z' }];
    expect(() => writeAtomically(outdir, files)).toThrow();
    expect(tree(outdir)).toEqual(before);
  });

  test('unchanged files are not rewritten', () => {
    startFromFullSynth();
    const file = path.join(outdir, 'ov.k8s.yaml');
    fs.utimesSync(file, new Date(0), new Date(0));
    cli(['-q', '-n', 'ov']);
    expect(fs.statSync(file).mtimeMs).toBe(0);
  });
});
