/**
 * The app as cdk8s users run it: the real cdk8s CLI (its output folder, --stdout), and main.ts under the usual
 * TypeScript runners, each of which must write exactly the committed dist/. Every run is a child process, so
 * the suite waits on them all at once.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { ENVIRONMENTS, PREVIEWS } from '../lib/config/environments';
import { placementOf } from '../lib/config/types';
import { manifestPath } from '../lib/synth/render';
import { tree } from './helpers';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const scratches: string[] = [];
const scratch = (dir = os.tmpdir()) => {
  const d = fs.mkdtempSync(path.join(dir, 'ov-runner-'));
  scratches.push(d);
  return d;
};
afterAll(() => {
  for (const d of scratches) fs.rmSync(d, { recursive: true, force: true });
});
const before = tree(dist);
const cdk8sOut = () => (fs.existsSync(path.join(root, 'cdk8s.out')) ? tree(path.join(root, 'cdk8s.out')) : undefined);
const outBefore = cdk8sOut();
/** What cdk8s writes for the committed registry: each environment's chart as a file of its own, with dist/'s manifest's objects. */
const charts = Object.fromEntries([...ENVIRONMENTS, ...PREVIEWS].map((e) => [`${placementOf(e).instance}.k8s.yaml`, before[manifestPath(e)]]));

/** Runs main.ts under a runner into a scratch folder; its files. */
async function synthUnder(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  const outdir = scratch();
  await run(command, [...args, '--outdir', outdir, '--quiet'], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return tree(outdir);
}

// Each started at once; the tests await them.
const cli = run(bin('cdk8s'), ['synth', '--no-check-upgrade', '--output', scratch()], { cwd: root, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
const stdout = run(bin('cdk8s'), ['synth', '--no-check-upgrade', '--stdout'], { cwd: root, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' }, maxBuffer: 1 << 26 });
const runners: Record<string, Promise<Record<string, string>>> = {
  'npm run synth (esbuild, in memory)': synthUnder(process.execPath, [path.join(root, 'scripts', 'run.js'), 'main.ts']),
  // the cdk8s template's runner, which type-checks: TypeScript 5 has the compiler API it needs (7 is native)
  'ts-node, type-checked': synthUnder(bin('ts-node'), ['--compiler', 'typescript5', 'main.ts']),
  tsx: synthUnder(bin('tsx'), ['main.ts']),
  'compiled JS (tsc)': (async () => {
    const out = scratch(path.join(root, 'node_modules', '.cache'));
    await run(bin('tsc'), ['-p', root, '--noEmit', 'false', '--outDir', out], { cwd: root });
    return synthUnder(process.execPath, [path.join(out, 'main.js')]);
  })(),
};

const objects = (files: Record<string, string | undefined>) => Object.fromEntries(Object.entries(files).map(([f, text]) => [f, loadAll(text ?? '')]));

test('cdk8s synth: its own output folder gets one file per environment\'s chart, the objects of dist/\'s manifest', async () => {
  const { stdout: said } = await cli;
  const folder = said.match(/ - (\S+)\//)?.[1];
  expect(folder).toBeDefined();
  expect(objects(tree(folder!))).toEqual(objects(charts));
}, 120_000);

test('cdk8s synth --stdout prints the charts and writes nothing: dist/ stays as it is (the CLI only empties its own cdk8s.out/)', async () => {
  const { stdout: printed } = await stdout;
  // The CLI pipes the files one after another, without a separator: every object of every chart, once.
  const names = (docs: unknown[]) => (docs.filter((d) => d !== null) as { kind: string; metadata: { name: string; namespace?: string } }[]).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort();
  expect(names(loadAll(printed.replace(/\n(?=apiVersion: )/g, '\n---\n')))).toEqual(names(Object.values(objects(charts)).flat()));
  await cli;
  expect(tree(dist)).toEqual(before);
  expect([undefined, outBefore]).toContainEqual(cdk8sOut());
}, 120_000);

test.each(Object.keys(runners))('main.ts under %s writes the committed dist/', async (name) => {
  expect(await runners[name]).toEqual(before);
}, 300_000);
