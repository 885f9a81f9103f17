/**
 * The real entry points, run as users run them: the committed dist/ must be what they produce,
 * byte for byte, whatever the machine's time zone and locale.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { main } from '../../lib/synth/cli';
import { tree } from '../helpers';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist');


async function synth(command: string[], env: Record<string, string>): Promise<Record<string, string>> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-synth-'));
  try {
    await run(command[0], command.slice(1), { cwd: root, env: { ...process.env, ...env, CDK8S_OUTDIR: outdir } });
    return tree(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The app command of cdk8s.yaml, run the way `cdk8s synth` runs it: through a shell, with the
 * output folder in CDK8S_OUTDIR (the CLI empties that folder first; a full synth writes every file).
 * `npm run bench` also runs the CLI itself and compares its files.
 */
const cdk8sApp = (load(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8')) as { app: string }).app;

// The cdk8s app command runs in a child process, in another time zone and locale, while this
// process renders the same files in memory through the command line's own code.
const child = synth(['sh', '-c', cdk8sApp], { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' });

function inProcess(): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-synth-'));
  try {
    expect(main(['--quiet'], { CDK8S_OUTDIR: outdir }, { stdout: process.stdout, stderr: process.stderr })).toBe(0);
    return tree(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

test('the committed dist/ is what a synth writes (re-synth and commit after a change)', () => {
  const fresh = inProcess();
  expect(Object.keys(fresh)).toEqual([
    'argocd/ov-demo.yaml', 'argocd/ov.yaml', 'ov-demo.k8s.yaml', 'ov-demo.md', 'ov.k8s.yaml', 'ov.md',
  ]);
  const committed = tree(dist);
  for (const [file, text] of Object.entries(fresh)) expect(`${file}:\n${committed[file]}`).toBe(`${file}:\n${text}`);
  expect(Object.keys(committed)).toEqual(Object.keys(fresh));
});

test('the cdk8s app command, run as `cdk8s synth` runs it, in another time zone and locale, writes the same bytes', async () => {
  expect(await child).toEqual(tree(dist));
}, 30_000);
