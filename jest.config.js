/**
 * Tests run the TypeScript sources through swc (transpile only); `tsc --noEmit` type-checks once.
 * Two projects: `fast`, every suite that starts no process (the edit loop, `npm run test:fast`), and `processes`,
 * the suites that start one (PostgreSQL, git, node, the cdk8s CLI, kubectl, Go tools). `npm test` runs both.
 */
const fs = require('node:fs');

// Scratch folders (os.tmpdir()) in memory where the machine has a roomy one, unless TMPDIR says otherwise: the
// writer's tests fsync at every step, and on a disk each fsync waits for the device. Set here, before the workers
// start, so that they and every process a test starts inherit it. The suites hold a PostgreSQL cluster and two
// clones at once; a container's small /dev/shm (64 MiB by default) is passed over.
const SHM = '/dev/shm';
const SHM_NEEDED = 1024 ** 3;
if (!process.env.TMPDIR) {
  try {
    fs.accessSync(SHM, fs.constants.W_OK);
    const { bavail, bsize } = fs.statfsSync(SHM);
    if (fs.statSync(SHM).isDirectory() && bavail * bsize >= SHM_NEEDED) process.env.TMPDIR = SHM;
  } catch {
    // no tmpfs here: os.tmpdir() as it is
  }
}

/** The suites that start processes. Any other suite is fast, and may not: its child_process throws (test/no-processes.js). */
const PROCESSES = ['cli', 'workflow', 'write', 'postgres', 'diff', 'kube-score', 'cluster-apply-csa', 'cluster-apply-ssa', 'cluster-admission', 'consumers', 'runners', 'argocd-sync'].map((name) => `/test/${name}\\.test\\.ts$`);

const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
  // With the project's other caches, not in the scratch folder above.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
};

module.exports = {
  // Both cores: several suites wait on child processes.
  maxWorkers: 2,
  projects: [
    {
      ...project,
      displayName: 'fast',
      testPathIgnorePatterns: ['/node_modules/', ...PROCESSES],
      moduleNameMapper: { '^(node:)?child_process$': '<rootDir>/test/no-processes.js' },
    },
    { ...project, displayName: 'processes', testRegex: PROCESSES, testMatch: undefined },
  ],
};
