// child_process as the fast suites see it (jest.config.js): loading it is fine, starting a process is not.
'use strict';

const refuse = (name) => function refused() {
  throw new Error(`child_process.${name}: this suite starts a process, so it is not a fast one: add it to PROCESSES in jest.config.js`);
};

module.exports = Object.fromEntries(
  ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork', 'ChildProcess'].map((name) => [name, refuse(name)]),
);
