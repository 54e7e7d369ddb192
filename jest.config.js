/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/helpers/stable-serializer.ts'],
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
};
