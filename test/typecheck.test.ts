/** The type check, run beside the other tests rather than before them (`npm test` is both). */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

test('the project type-checks (tsc --noEmit)', async () => {
  const root = path.join(__dirname, '..');
  const result = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(path.join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', root], { cwd: root }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
}, 60_000);
