/** A chart that fails validation: exit 1, the violation on stderr, and no file changed. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../lib/synth/cli';
import { Environment } from '../../lib/config/types';
import { buildObjects, renderEnvironment } from '../../lib/synth/render';
import { assertValid } from '../../lib/synth/validate';

/** ov renders as usual; ov-demo's backend pod asks to run as root, which validation refuses. */
function renderWithRootDemo(env: Environment) {
  if (env.namespace !== 'ov-demo') return renderEnvironment(env);
  const objects = buildObjects(env) as any[];
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'ov-wag').spec.template.spec.securityContext.runAsUser = 0;
  assertValid(objects);
  throw new Error('unreachable: validation accepted a root pod');
}

test('a validation failure exits 1, names the object, field and rule, and writes nothing', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-'));
  try {
    fs.writeFileSync(path.join(outdir, 'ov.k8s.yaml'), 'previous');
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const code = main([], { CDK8S_OUTDIR: outdir }, io, renderWithRootDemo);
    expect(code).toBe(EXIT.invalidOutput);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).toMatch(/Deployment\/ov-demo\/ov-wag: spec\.template\.spec\.securityContext\.runAsUser: .*\[pod-security\]/);
    expect(fs.readdirSync(outdir)).toEqual(['ov.k8s.yaml']);
    expect(fs.readFileSync(path.join(outdir, 'ov.k8s.yaml'), 'utf8')).toBe('previous');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
