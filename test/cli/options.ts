/** The command line, run in-process against a scratch output folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS, NAMESPACES } from '../../lib/config/environments';
import { manifestFile } from '../../lib/chart/argocd';
import { DEFAULT_OUTDIR, defaultOutdir, main, USAGE } from '../../lib/synth/cli';
import { STATE_DIR, stateDir } from '../../lib/config/state';
import { release } from '../../lib/synth/state';
import { RECORD } from '../../lib/synth/write';
import { CONTRACT, DEMO, escapeRegExp, objectsOf, ofKind, outputFiles, PRODUCTION, readmeSection, tree } from '../helpers';

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const { done: DONE, usage: USAGE_ERROR } = CONTRACT.exit;

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

function capture(run: (io: Parameters<typeof main>[2]) => number, isTTY = false): Result {
  let stdout = '';
  let stderr = '';
  const code = run({ stdout: { write: (s: string) => (stdout += s), isTTY }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** `npm run synth -- <argv>` into the scratch folder (never the real dist/). */
const cli = (argv: string[], vars: Record<string, string> = {}, isTTY = false): Result =>
  capture((io) => main(['--outdir', outdir, ...argv], vars, io), isTTY);

const [first, ...others] = NAMESPACES as [string, ...string[]];
/** The files a synth of `namespaces` writes, with its record of them. */
const written = (namespaces?: readonly string[]) => [...outputFiles(namespaces), RECORD].sort();

describe('success', () => {
  test('with no options, every namespace: manifests, topology pages and Applications, and a summary', () => {
    const r = fullSynth;
    expect(r).toMatchObject({ code: DONE, stderr: '' });
    expect(Object.keys(tree(synthesized))).toEqual(written());
    expect(r.stdout).toMatch(/^namespace\s+file\s+objects\s+size/);
    for (const env of ENVIRONMENTS) {
      const row = r.stdout.split('\n').find((l) => l.startsWith(`${env.namespace} `));
      expect(row).toContain(path.join(synthesized, manifestFile(env.namespace)));
      expect(row).toContain(` ${objectsOf(env).length} `);
      expect(r.stdout).toContain(`Deployment ${ofKind(objectsOf(env), 'Deployment').length}`);
    }
    expect(r.stdout).not.toContain('\x1b[');
  });

  test('--namespace rewrites only that namespace; the other files stay byte-identical', () => {
    startFromFullSynth();
    const theirs = outputFiles(others);
    for (const f of theirs) fs.appendFileSync(path.join(outdir, f), '# edited by hand\n');
    const before = tree(outdir);
    fs.writeFileSync(path.join(outdir, manifestFile(first)), 'stale');
    expect(cli(['--namespace', first, '--quiet']).code).toBe(DONE);
    const after = tree(outdir);
    for (const f of theirs) expect(after[f]).toBe(before[f]);
    expect(after[manifestFile(first)]).toBe(before[manifestFile(first)]);
  });

  test('a namespace named twice, or by its short option, is synthesized once', () => {
    const r = cli(['-n', DEMO.namespace, '--namespace', DEMO.namespace]);
    expect(r.code).toBe(DONE);
    expect(Object.keys(tree(outdir))).toEqual(written([DEMO.namespace]));
    expect(r.stdout.split('\n').filter((l) => l.startsWith(`${DEMO.namespace} `))).toHaveLength(1);
  });

  test('--quiet prints nothing; colour only on a terminal, and never with NO_COLOR', () => {
    expect(cli(['--quiet', '-n', DEMO.namespace])).toEqual({ code: DONE, stdout: '', stderr: '' });
    expect(cli(['-n', DEMO.namespace], {}, true).stdout).toContain('\x1b[');
    expect(cli(['-n', DEMO.namespace], { NO_COLOR: '1' }, true).stdout).not.toContain('\x1b[');
  });

  test('--help prints usage, the namespaces, the variables and the exit codes, and writes nothing', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(DONE);
    expect(r.stdout).toBe(USAGE);
    expect(r.stdout).toContain('Usage: npm run synth');
    expect(r.stdout).toContain(`Valid: ${NAMESPACES.join(', ')}`);
    expect(r.stdout).toContain('CDK8S_OUTDIR');
    expect(r.stdout).toContain('NO_COLOR');
    const { done, invalid, usage, machine } = CONTRACT.exit;
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(new RegExp(`Exit codes: ${done} written; ${invalid} [^;]*validation; ${usage} a bad option[^;]*; ${machine} the machine refused`));
    expect(tree(outdir)).toEqual({});
  });
});

test('the README documents exactly the exit codes the tests hold the commands to', () => {
  const sentence = /Exit codes of every command: ([^]*?)\. Each failure/.exec(readmeSection('Command line'))?.[1].replace(/\s+/g, ' ');
  expect(sentence).toBeDefined();
  const documented = Object.fromEntries([...sentence!.matchAll(/`(\d+)` ([^;]+)/g)].map((m) => [Number(m[1]), m[2]]));
  const { done, invalid, usage, machine, internal } = CONTRACT.exit;
  expect(Object.keys(documented).map(Number)).toEqual([done, invalid, usage, machine, internal]);
  expect(documented[invalid]).toMatch(/validation/);
  expect(documented[usage]).toMatch(/a bad option, namespace/);
  expect(documented[machine]).toMatch(/the machine refused/);
  expect(documented[internal]).toMatch(/a fault of this program/);
});

describe(`bad input: one line naming the value and what is allowed, exit ${USAGE_ERROR}, nothing written`, () => {
  const unknown = (ns: string) => new RegExp(`^error: unknown namespace ${escapeRegExp(JSON.stringify(ns))}: valid namespaces are ${escapeRegExp(NAMESPACES.join(', '))}$`);
  const cases: [string, string[], RegExp][] = [
    ['unknown namespace', ['--namespace', 'staging'], unknown('staging')],
    ['empty namespace', ['--namespace', ''], unknown('')],
    ['one unknown among valid namespaces', ['-n', first, '-n', 'staging'], unknown('staging')],
    ['option without its value', ['--namespace'], /--namespace.*argument missing; run with --help for usage$/],
    ['option whose value is another option', ['--namespace', '--quiet'], /--namespace.* argument is ambiguous\. Did you forget .* run with --help for usage$/],
    ['unknown option', ['--replicas', '3'], /Unknown option '--replicas'; run with --help for usage$/],
    ['a release option', ['--frontend-tag', 'v9.9.9'], /Unknown option '--frontend-tag'; run with --help for usage$/],
    ['stray argument', [first], new RegExp(`Unexpected argument '${escapeRegExp(first)}'.*; run with --help for usage$`)],
  ];

  test.each(cases)('%s', (_name, argv, message) => {
    startFromFullSynth();
    fs.writeFileSync(path.join(outdir, 'notes.txt'), 'kept');
    const before = tree(outdir);
    const r = cli(argv);
    expect(r.code).toBe(USAGE_ERROR);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(tree(outdir)).toEqual(before);
  });
});

describe(`a bad tag for npm run release: one line naming it, exit ${USAGE_ERROR}, neither the state nor the output changes`, () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-state-'));
    for (const f of ['releases.json', 'previews.json']) fs.copyFileSync(path.join(__dirname, '..', '..', 'lib', 'config', f), path.join(stateDir, f));
  });
  afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const releaseTag = (args: string[]) => capture((io) => release(['--namespace', DEMO.namespace, ...args, '--outdir', outdir, '--state-dir', stateDir, '--quiet'], {}, io));

  const cases: [string, string[], RegExp][] = [
    ['a space', ['--frontend-tag', 'v1 .0'], /^error: --frontend-tag "v1 \.0": must match \[A-Za-z0-9_\]/],
    ['a slash', ['--backend-tag', 'feature/x'], /^error: --backend-tag "feature\/x": must match/],
    ['a colon', ['--backend-tag', 'v1:2'], /^error: --backend-tag "v1:2": must match/],
    ['a leading dash', ['--backend-tag=-v1'], /^error: --backend-tag "-v1": must match/],
    ['a leading dot', ['--frontend-tag', '.v1'], /^error: --frontend-tag "\.v1": must match/],
    ['129 characters', ['--frontend-tag', 'v'.repeat(129)], /^error: --frontend-tag "v{129}": must match .*at most 128 characters/],
    ['latest', ['--frontend-tag', 'latest'], /^error: --frontend-tag "latest": must be pinned/],
    ['nothing', ['--frontend-tag', ''], /^error: --frontend-tag "": must not be empty$/],
  ];

  test.each(cases)('%s', (_name, args, message) => {
    const before = tree(stateDir);
    const r = releaseTag(args);
    expect(r.code).toBe(USAGE_ERROR);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(tree(stateDir)).toEqual(before);
    expect(tree(outdir)).toEqual({});
  });

  test('the longest valid tag is accepted', () => {
    // A pull request's moving tag, 128 characters: the longest the grammar allows.
    const tag = `pr-${'1'.repeat(125)}`;
    expect(releaseTag(['--frontend-tag', tag]).code).toBe(DONE);
    expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'releases.json'), 'utf8'))[DEMO.namespace].frontend).toBe(tag);
    expect(tree(outdir)[manifestFile(DEMO.namespace)]).toContain(`:${tag}\n`);
  });

  test('a state file that starts with a byte order mark, as some editors write it, is read', () => {
    const file = path.join(stateDir, 'releases.json');
    fs.writeFileSync(file, `\uFEFF${fs.readFileSync(file, 'utf8')}`);
    expect(releaseTag(['--frontend-tag', DEMO.frontend.tag]).code).toBe(DONE);
  });

  test.each([
    ['missing', 'releases.json', null, /^error: cannot read .*\/releases\.json: ENOENT$/],
    ['not JSON', 'previews.json', '{ "previews": [', /^error: .*\/previews\.json: not JSON: /],
  ] as const)('a state file %s: one line naming it', (_name, file, content, message) => {
    if (content === null) fs.rmSync(path.join(stateDir, file));
    else fs.writeFileSync(path.join(stateDir, file), content);
    const before = tree(stateDir);
    const r = releaseTag(['--frontend-tag', DEMO.frontend.tag]);
    expect(r.code).toBe(USAGE_ERROR);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr).toContain(path.join(stateDir, file));
    expect(tree(stateDir)).toEqual(before);
    expect(tree(outdir)).toEqual({});
  });
});

describe('output', () => {
  test("the default output and state folders are the project's own, from whatever folder a command starts", () => {
    const here = process.cwd();
    const project = path.join(__dirname, '..', '..');
    try {
      process.chdir(project);
      expect([defaultOutdir(), stateDir()]).toEqual([DEFAULT_OUTDIR, STATE_DIR]);
      for (const elsewhere of [os.tmpdir(), path.join(project, 'lib')]) {
        process.chdir(elsewhere);
        // named relative to the working folder when inside it, else in full; always the project's
        expect([defaultOutdir(), stateDir()].map((p) => path.resolve(p))).toEqual([path.join(project, DEFAULT_OUTDIR), path.join(project, STATE_DIR)]);
      }
    } finally {
      process.chdir(here);
    }
  });

  test('a full synth removes the recorded files of an environment that no longer exists, and nothing else', () => {
    startFromFullSynth();
    const gone = ['ov-old.k8s.yaml', 'ov-old.md', 'argocd/ov-old.yaml'];
    fs.mkdirSync(path.join(outdir, 'argocd'), { recursive: true });
    for (const f of [...gone, 'notes.txt', 'ov-other.k8s.yaml']) fs.writeFileSync(path.join(outdir, f), 'x');
    fs.appendFileSync(path.join(outdir, RECORD), gone.map((f) => `${f}\n`).join('')); // as an earlier synth recorded them
    cli(['-q', '-n', PRODUCTION.namespace]);
    expect(Object.keys(tree(outdir))).toContain('ov-old.k8s.yaml');
    cli(['-q']);
    expect(Object.keys(tree(outdir))).toEqual([...written(), 'notes.txt', 'ov-other.k8s.yaml'].sort());
  });

  test(`an output folder that is a file: exit ${CONTRACT.exit.machine}, one line naming it, the file unchanged`, () => {
    const file = path.join(outdir, 'not-a-folder');
    fs.writeFileSync(file, 'kept');
    const r = capture((io) => main(['--outdir', file, '--quiet'], {}, io));
    expect(r.code).toBe(CONTRACT.exit.machine);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(file)]);
    expect(fs.readFileSync(file, 'utf8')).toBe('kept');
  });

  test('unchanged files are not rewritten', () => {
    startFromFullSynth();
    const file = path.join(outdir, manifestFile(PRODUCTION.namespace));
    fs.utimesSync(file, new Date(0), new Date(0));
    cli(['-q', '-n', PRODUCTION.namespace]);
    expect(fs.statSync(file).mtimeMs).toBe(0);
  });
});
