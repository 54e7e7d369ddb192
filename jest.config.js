/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  // The examples import the package by name, as a team would; in this repository that name is the sources.
  moduleNameMapper: {
    '^secure-data-pipeline$': '<rootDir>/lib/index.ts',
    '^secure-data-pipeline/testing$': '<rootDir>/lib/testing/index.ts',
  },
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  snapshotSerializers: ['<rootDir>/test/helpers/stable-serializer.ts'],
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
};
