#!/usr/bin/env node
// `npm test`: the type check (tsc --noEmit) and the jest suites at once, since the suites run in one
// process and leave the other core free. Fails if either fails; arguments go to jest. The type check is
// incremental: its state is kept in node_modules/.cache, so a warm run checks only what changed. First the Go
// programs the suites run are built, unless this exact source was built on this machine before (scripts/go-tools.js).
// Ctrl-C or a kill reaches both children, so nothing keeps running after this process.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { TOOLS, tool } = require('./go-tools');

const root = path.join(__dirname, '..');
const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // SIGTERM, whatever came: a child started in the background has SIGINT ignored, and would run on.
    for (const child of children) child.kill('SIGTERM');
    process.exitCode = 130;
  });
}
// npm starts this process (`exec`, no shell between): if npm goes, however it went, so do the tests.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.kill(process.pid, 'SIGTERM'), 500).unref();

function run(args, stdio) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

// `--fast` (npm run test:fast): only the suites that start no process (jest.config.js), for the edit loop.
const fast = process.argv.includes('--fast');
// Last: jest's --selectProjects takes every word after it.
const jestArgs = [...process.argv.slice(2).filter((a) => a !== '--fast'), ...(fast ? ['--selectProjects', 'fast'] : [])];

(async () => {
  try {
    if (!fast) for (const name of Object.keys(TOOLS)) tool(name);
  } catch (error) {
    process.stderr.write(`error: the Go programs the tests run did not build: ${error.message.split('\n')[0]}\n`);
    process.exitCode = 1;
    return;
  }
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
