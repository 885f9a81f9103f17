/**
 * The real entry points, run as users run them: the committed dist/ must be what they produce,
 * byte for byte, whatever the machine's time zone and locale.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

function tree(dir: string): Record<string, string> {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => path.join(e.parentPath, e.name)).sort().map((f) => [path.relative(dir, f), fs.readFileSync(f, 'utf8')]),
  );
}

async function synth(command: string[], env: Record<string, string>): Promise<Record<string, string>> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-synth-'));
  try {
    await run(command[0], command.slice(1), { cwd: root, env: { ...process.env, ...env, CDK8S_OUTDIR: outdir, CDK8S_OUTPUT: outdir } });
    return tree(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

// All three run at once, each a separate process. (`cdk8s synth` takes its folder from CDK8S_OUTPUT and hands it to the app as CDK8S_OUTDIR.)
const results = Promise.all([
  synth(['node', 'scripts/synth.js', '--quiet'], { TZ: 'UTC', LANG: 'C', LC_ALL: 'C' }),
  synth(['node', 'scripts/synth.js', '--quiet'], { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' }),
  synth(['npx', 'cdk8s', 'synth', '--no-check-upgrade'], {}),
]);

test('the committed dist/ is what `npm run synth` writes (re-synth and commit after a change)', async () => {
  const [fresh] = await results;
  expect(Object.keys(fresh)).toEqual([
    'argocd/ov-demo.yaml', 'argocd/ov.yaml', 'ov-demo.k8s.yaml', 'ov-demo.md', 'ov.k8s.yaml', 'ov.md',
  ]);
  const committed = tree(dist);
  for (const [file, text] of Object.entries(fresh)) expect(`${file}:\n${committed[file]}`).toBe(`${file}:\n${text}`);
  expect(Object.keys(committed)).toEqual(Object.keys(fresh));
}, 30_000);

test('another time zone and locale give the same bytes', async () => {
  const [utc, elsewhere] = await results;
  expect(elsewhere).toEqual(utc);
}, 30_000);

test('`cdk8s synth` writes the same files as `npm run synth`', async () => {
  const [fresh, , cdk8s] = await results;
  expect(cdk8s).toEqual(fresh);
}, 30_000);
