/**
 * The CRDs code is generated from are in the repository: their bytes are the ones crds/README.md records,
 * and the real `cdk8s import` regenerates imports/ from them byte for byte, offline, with nothing outside.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';

const root = path.join(__dirname, '..', '..');
const crds = path.join(root, 'crds');

test('every vendored CRD has the sha256 its provenance row records', () => {
  const readme = fs.readFileSync(path.join(crds, 'README.md'), 'utf8');
  const files = fs.readdirSync(crds).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${file}\``));
    const sha = createHash('sha256').update(fs.readFileSync(path.join(crds, file))).digest('hex');
    expect(`${file}: ${row?.includes(sha)}`).toBe(`${file}: true`);
  }
});

test('cdk8s.yaml imports only CRDs of the repository', () => {
  const config = load(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8')) as { imports: string[] };
  for (const i of config.imports) expect(fs.existsSync(path.join(root, i)) && i.startsWith('crds/')).toBe(true);
});

test('`cdk8s import` on a copy with nothing but the repository regenerates imports/ byte for byte', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-import-'));
  try {
    for (const f of ['cdk8s.yaml', 'package.json']) fs.copyFileSync(path.join(root, f), path.join(dir, f));
    fs.cpSync(crds, path.join(dir, 'crds'), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'cdk8s'), ['import', '--no-check-upgrade'], { cwd: dir, env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
    const generated = fs.readdirSync(path.join(dir, 'imports')).sort();
    expect(generated).toEqual(fs.readdirSync(path.join(root, 'imports')).filter((f) => f.endsWith('.ts')).sort());
    for (const f of generated) expect(fs.readFileSync(path.join(dir, 'imports', f), 'utf8') === fs.readFileSync(path.join(root, 'imports', f), 'utf8')).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
