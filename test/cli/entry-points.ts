/**
 * The real entry points, run as users run them: the committed dist/ must be what they produce,
 * byte for byte, whatever the machine's time zone and locale. This is the one golden copy of the output.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { load, loadAll } from 'js-yaml';
import { ENVIRONMENTS, PREVIEWS } from '../../lib/config/environments';
import { placementOf } from '../../lib/config/types';
import { main } from '../../lib/synth/cli';
import { manifestPath } from '../../lib/synth/render';
import { RECORD } from '../../lib/synth/write';
import { CONTRACT, outputFiles, tree } from '../helpers';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ov-synth-'));

/**
 * The app command of cdk8s.yaml, run the way `cdk8s synth` runs it: through a shell, with the CLI's own folder in
 * CDK8S_OUTDIR. cdk8s writes that folder (one file per chart) and nothing else: not dist/.
 * `npm run bench` also runs the CLI itself.
 */
const cdk8sApp = (load(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8')) as { app: string }).app;

async function appRun(vars: Record<string, string>): Promise<{ cli: Record<string, string>; distBefore: Record<string, string> }> {
  const cliDir = scratch();
  const distBefore = tree(dist);
  try {
    await run('sh', ['-c', cdk8sApp], { cwd: root, env: { ...process.env, ...vars, CDK8S_OUTDIR: cliDir } });
    return { cli: tree(cliDir), distBefore };
  } finally {
    fs.rmSync(cliDir, { recursive: true, force: true });
  }
}

// The cdk8s app command runs in a child process, in another time zone and locale, while this
// process renders the same files in memory through the command line's own code.
const child = appRun({ TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' });

function inProcess(): Record<string, string> {
  const outdir = scratch();
  try {
    expect(main(['--quiet', '--outdir', outdir], {}, { stdout: process.stdout, stderr: process.stderr })).toBe(CONTRACT.exit.done);
    return tree(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

test('the committed dist/ is what a synth writes (re-synth and commit after a change)', () => {
  const fresh = inProcess();
  expect(Object.keys(fresh)).toEqual([...outputFiles(), RECORD].sort());
  const committed = tree(dist);
  for (const [file, text] of Object.entries(fresh)) expect(`${file}:\n${committed[file]}`).toBe(`${file}:\n${text}`);
  expect(Object.keys(committed)).toEqual(Object.keys(fresh));
});

test('the cdk8s app, run as `cdk8s synth` runs it, in another time zone and locale: one file per environment\'s chart, the objects of dist/\'s manifest, and nothing else written', async () => {
  const { cli, distBefore } = await child;
  const charts = [...ENVIRONMENTS, ...PREVIEWS].map((e) => [`${placementOf(e).instance}.k8s.yaml`, manifestPath(e)]);
  expect(Object.keys(cli).sort()).toEqual(charts.map(([chart]) => chart).sort());
  for (const [chart, file] of charts) expect(loadAll(cli[chart!]!)).toEqual(loadAll(distBefore[file!]!));
  expect(tree(dist)).toEqual(distBefore);
}, 60_000);
