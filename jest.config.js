/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // lambdas/ is a root so that coverage counts the files no test loads (at 0 %), not only the loaded ones.
  roots: ['<rootDir>/test', '<rootDir>/lambdas'],
  testMatch: ['**/*.test.ts'],
  // @middy/core 6 and jose 6 are ESM-only: let ts-jest compile them (allowJs) instead of ignoring node_modules.
  // isolatedModules: transpile only; `npm run typecheck` type-checks the whole tree once, faster than per file.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true }, diagnostics: { ignoreCodes: [151002] } }] },
  transformIgnorePatterns: ['node_modules/(?!(@middy|jose)/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  maxWorkers: 2,
  testTimeout: 30000,
  // `npm run lint:coverage` runs the unit suite (test/unit) with --coverage and fails below these:
  // lambdas/domain/ on its own (pure, unit-tested exhaustively), `global` over the rest of lambdas/
  // (adapters, handlers, middleware, wiring; their integration and end-to-end tests are not counted).
  // Set a few points under what the unit suite measured when they were last raised; raise, never lower.
  collectCoverageFrom: ['lambdas/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: {
    global: { lines: 38, branches: 35, functions: 39, statements: 39 },
    './lambdas/domain/': { lines: 95, branches: 87, functions: 92, statements: 94 },
  },
};
