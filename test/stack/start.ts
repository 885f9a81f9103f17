/**
 * The backend starts as its image's docker_entrypoints/deploy.sh does (v1.1.0 to v1.1.3): `collectstatic`, then
 * gunicorn whether or not `collectstatic` succeeded, with `exec` so that gunicorn is the process SIGTERM reaches.
 * The container's command runs here in a real shell, with stand-ins for python3 and gunicorn on its PATH.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS } from '../../lib/config/environments';
import { BACKEND } from '../../lib/config/images';
import { find, objectsOf } from '../helpers';

let bin: string;
beforeAll(() => {
  bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ov-start-'));
  const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  stub('python3', 'echo "python3 $*"; [ "$COLLECT" = ok ]');
  stub('gunicorn', 'echo "gunicorn pid $$"');
});
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

describe.each(ENVIRONMENTS.map((e) => [e.namespace, e] as const))('%s', (_ns, env) => {
  const [shell, flag, script] = find(objectsOf(env), 'Deployment', BACKEND.name).spec.template.spec.containers[0].command;

  test.each(['ok', 'fails'])('collectstatic %s: gunicorn starts, in place of the shell', (collect) => {
    const run = spawnSync(shell, [flag, script], { env: { PATH: `${bin}:/usr/bin:/bin`, COLLECT: collect }, encoding: 'utf8' });
    expect(run.stdout).toContain('python3 manage.py collectstatic --noinput');
    // exec: gunicorn has the pid of the shell the container started.
    expect(run.stdout).toContain(`gunicorn pid ${run.pid}`);
  });
});
