/** Two tiers: unit specs beside the code (mocks only), and integration/e2e specs in test/ on a real Postgres. */
const shared = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  moduleNameMapper: { '^@app/([^/]+)$': '<rootDir>/libs/$1/src', '^@app/([^/]+)/(.*)$': '<rootDir>/libs/$1/src/$2' },
};

module.exports = {
  maxWorkers: 2,
  // Real databases and processes: generous, since a slow CI machine is not a failure. No test asserts on time.
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.{e2e,int}-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // After each file: its responses must match the OpenAPI document.
      setupFilesAfterEnv: ['<rootDir>/test/support/openapi-responses.setup.ts'],
    },
  ],
};
