/** Tests run the TypeScript sources through swc (transpile only); `tsc --noEmit` type-checks once. */
module.exports = {
  testEnvironment: 'node',
  // Both cores: several suites wait on child processes.
  maxWorkers: 2,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
};
