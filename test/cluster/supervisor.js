#!/usr/bin/env node
// Runs the test control plane's processes and guarantees their end: when its standard input closes (the test
// process that started it ended, however), or on SIGINT, SIGTERM or SIGHUP, it stops every process it started
// (SIGTERM, then SIGKILL after 1 s: the data is thrown away, so a graceful end buys nothing), removes the
// cluster's folder and exits. Each process also gets SIGKILL from the kernel if this supervisor itself dies
// (setpriv --pdeathsig). Usage: supervisor.js SPEC.json, where the spec is { dir, processes: [{ name, command,
// args }] }; each process logs to <dir>/<name>.log.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const children = [];
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 1000);
  const done = () => {
    if (children.some((c) => c.exitCode === null && c.signalCode === null)) return;
    clearTimeout(force);
    fs.rmSync(spec.dir, { recursive: true, force: true });
    process.exit(code);
  };
  children.forEach((c) => c.once('exit', done));
  done();
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('error', () => stop(0));
process.stdin.resume();

fs.writeFileSync(path.join(spec.dir, 'supervisor.pid'), `${process.pid}\n`);
for (const p of spec.processes) {
  const log = fs.openSync(path.join(spec.dir, `${p.name}.log`), 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', p.command, ...p.args], {
    cwd: spec.dir,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...(p.env ?? {}) },
  });
  fs.closeSync(log);
  children.push(child);
  // A component that dies on its own is noted; its log stays until the test process lets go, so it can tell why.
  child.on('exit', (code, signal) => {
    if (!stopping) fs.appendFileSync(path.join(spec.dir, 'supervisor.log'), `${p.name} exited (${signal ?? code})\n`);
  });
}
