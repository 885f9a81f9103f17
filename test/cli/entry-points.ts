/**
 * The real entry points, run as users run them: the committed dist/ must be what they produce,
 * byte for byte, whatever the machine's time zone and locale. This is the one golden copy of the output.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { ENVIRONMENTS, PREVIEW_HOME, PREVIEWS } from '../../lib/config/environments';
import { manifestFile, previewFile } from '../../lib/chart/argocd';
import { CDK8S_STREAM, main } from '../../lib/synth/cli';
import { CONTRACT, outputFiles, tree } from '../helpers';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ov-synth-'));

/**
 * The app command of cdk8s.yaml, run the way `cdk8s synth` runs it: through a shell, with the CLI's own
 * folder in CDK8S_OUTDIR, and the output folder moved to a scratch one (the app would write dist/).
 * `npm run bench` also runs the CLI itself and compares its files.
 */
const cdk8sApp = (load(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8')) as { app: string }).app;

async function appRun(vars: Record<string, string>): Promise<{ files: Record<string, string>; cli: Record<string, string> }> {
  const [outdir, cliDir] = [scratch(), scratch()];
  try {
    await run('sh', ['-c', `${cdk8sApp} --quiet --outdir "$1"`, 'sh', outdir], { cwd: root, env: { ...process.env, ...vars, CDK8S_OUTDIR: cliDir } });
    return { files: tree(outdir), cli: tree(cliDir) };
  } finally {
    for (const d of [outdir, cliDir]) fs.rmSync(d, { recursive: true, force: true });
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
  expect(Object.keys(fresh)).toEqual(outputFiles());
  const committed = tree(dist);
  for (const [file, text] of Object.entries(fresh)) expect(`${file}:\n${committed[file]}`).toBe(`${file}:\n${text}`);
  expect(Object.keys(committed)).toEqual(Object.keys(fresh));
});

test('the cdk8s app command, run as `cdk8s synth` runs it, in another time zone and locale, writes the same bytes, and the CLI its stream', async () => {
  const { files, cli } = await child;
  expect(files).toEqual(tree(dist));
  // One stream of every namespace's manifest, in registry order, each namespace's previews after it.
  const manifests = ENVIRONMENTS.flatMap((e) => [manifestFile(e.namespace), ...(e.namespace === PREVIEW_HOME ? PREVIEWS.map((p) => previewFile(p.instance!)) : [])]);
  expect(cli).toEqual({ [CDK8S_STREAM]: manifests.map((f) => files[f]).join('---\n') });
}, 30_000);
