/** Tests run the TypeScript sources through swc (transpile only); `tsc --noEmit` type-checks once. */
const fs = require('node:fs');

// Scratch folders (os.tmpdir()) in memory where the machine has it, unless TMPDIR says otherwise: the writer's
// tests fsync at every step, and on a disk each fsync waits for the device. Set here, before the workers start,
// so that they and every process a test starts inherit it.
const SHM = '/dev/shm';
if (!process.env.TMPDIR) {
  try {
    fs.accessSync(SHM, fs.constants.W_OK);
    if (fs.statSync(SHM).isDirectory()) process.env.TMPDIR = SHM;
  } catch {
    // no tmpfs here: os.tmpdir() as it is
  }
}

module.exports = {
  testEnvironment: 'node',
  // Both cores: several suites wait on child processes.
  maxWorkers: 2,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
};
