/** A chart that fails validation: exit 1, the violation on stderr, and no file changed. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Environment } from '../lib/config';

// ov-demo renders objects that break a rule; ov renders as usual.
jest.mock('../lib/render', () => {
  const actual = jest.requireActual('../lib/render');
  const { assertValid } = jest.requireActual('../lib/validate');
  return {
    ...actual,
    renderEnvironment: (env: Environment) => {
      if (env.namespace !== 'ov-demo') return actual.renderEnvironment(env);
      const objects = actual.buildObjects(env);
      const deployment = objects.find((o: { kind: string }) => o.kind === 'Deployment');
      deployment.spec.template.spec.securityContext.runAsUser = 0;
      assertValid(objects);
      throw new Error('unreachable: validation accepted a root pod');
    },
  };
});

import { EXIT, main } from '../lib/cli';

test('a validation failure exits 1, names the object, field and rule, and writes nothing', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-'));
  try {
    fs.writeFileSync(path.join(outdir, 'ov.k8s.yaml'), 'previous');
    let stderr = '';
    const code = main([], { CDK8S_OUTDIR: outdir }, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
    expect(code).toBe(EXIT.invalidOutput);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).toMatch(/Deployment\/ov-demo\/ov-wag: spec\.template\.spec\.securityContext\.runAsUser: .*\[pod-security\]/);
    expect(fs.readdirSync(outdir)).toEqual(['ov.k8s.yaml']);
    expect(fs.readFileSync(path.join(outdir, 'ov.k8s.yaml'), 'utf8')).toBe('previous');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
