/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // @middy/core 6 and jose 6 are ESM-only: let ts-jest compile them (allowJs) instead of ignoring node_modules.
  // isolatedModules: transpile only; `npm run typecheck` type-checks the whole tree once, faster than per file.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true }, diagnostics: { ignoreCodes: [151002] } }] },
  transformIgnorePatterns: ['node_modules/(?!(@middy|jose)/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  maxWorkers: 2,
  testTimeout: 30000,
};
