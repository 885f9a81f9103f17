#!/usr/bin/env node
// `npm test`: the type check (tsc --noEmit) and the jest suites at once, since the suites run in one
// process and leave the other core free. Fails if either fails; arguments go to jest. The type check is
// incremental: its state is kept in node_modules/.cache, so a warm run checks only what changed.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');

function run(args, stdio) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

// `--fast` (npm run test:fast): only the suites that start no process (jest.config.js), for the edit loop.
const fast = process.argv.includes('--fast');
// Last: jest's --selectProjects takes every word after it.
const jestArgs = [...process.argv.slice(2).filter((a) => a !== '--fast'), ...(fast ? ['--selectProjects', 'fast'] : [])];

(async () => {
  const [typecheck, jest] = await Promise.all([
    run([
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', root,
      '--incremental', '--tsBuildInfoFile', path.join(root, 'node_modules', '.cache', 'open-vault', 'tsc.tsbuildinfo'),
    ], ['ignore', 'pipe', 'pipe']),
    run([path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), ...jestArgs], 'inherit'),
  ]);
  process.stdout.write(typecheck.code === 0 ? 'Type check: passed (tsc --noEmit)\n' : `${typecheck.output}Type check: FAILED (tsc --noEmit)\n`);
  process.exitCode = jest.code || typecheck.code;
})();
