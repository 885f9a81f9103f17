/** A chart that fails validation: exit 1, the violation on stderr, and no file changed. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/synth/cli';
import { BACKEND } from '../../lib/config/images';
import { manifestFile } from '../../lib/chart/argocd';
import { Environment } from '../../lib/config/types';
import { buildObjects, renderEnvironment } from '../../lib/synth/render';
import { assertValid } from '../../lib/synth/validate';
import { CONTRACT, DEMO, escapeRegExp, PRODUCTION } from '../helpers';

/** Every namespace renders as usual but the demo, whose backend pod asks to run as root, which validation refuses. */
function renderWithRootDemo(env: Environment) {
  if (env.namespace !== DEMO.namespace || env.instance !== undefined) return renderEnvironment(env);
  const objects = buildObjects(env) as any[];
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === BACKEND.name).spec.template.spec.securityContext.runAsUser = 0;
  assertValid(objects);
  throw new Error('unreachable: validation accepted a root pod');
}

test(`a validation failure exits ${CONTRACT.exit.invalid}, names the object, field and rule, and writes nothing`, () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-cli-'));
  try {
    const previous = manifestFile(PRODUCTION.namespace);
    fs.writeFileSync(path.join(outdir, previous), 'previous');
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } };
    const code = main(['--outdir', outdir], {}, io, { render: renderWithRootDemo });
    expect(code).toBe(CONTRACT.exit.invalid);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).toMatch(new RegExp(`${escapeRegExp(`Deployment/${DEMO.namespace}/${BACKEND.name}: spec.template.spec.securityContext.runAsUser: `)}.*\\[pod-security\\]`));
    expect(fs.readdirSync(outdir)).toEqual([previous]);
    expect(fs.readFileSync(path.join(outdir, previous), 'utf8')).toBe('previous');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
