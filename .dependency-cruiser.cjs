/**
 * The layer rules of CONTRIBUTING.md ("Layout and its rules"), checked by `npm run lint`
 * (`depcruise bin lib lambdas contract client local web scripts bench test`).
 * Type-only imports count: a domain module naming an SDK type still ties the domain to the SDK.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'lambdas/domain/ is pure TypeScript: it imports only the domain, its ports, the wire contract and valibot; ' +
        'no SDK, no Lambda types, no adapter, handler, middleware, shared wiring, lib/ or local/ module.',
      from: { path: '^lambdas/domain/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^lambdas/(domain|ports)/', '^contract/', '^node_modules/valibot/'] },
    },
    {
      name: 'lambdas-never-import-local',
      severity: 'error',
      comment: 'local/ is the local runtime and is never bundled into a Lambda: handlers get endpoints from configuration instead.',
      from: { path: '^lambdas/' },
      to: { path: '^local/' },
    },
    {
      name: 'lambdas-never-import-lib',
      severity: 'error',
      comment: 'lib/ is the CDK app: lambdas/ reads its environment names and defaults from lambdas/shared/environment.ts.',
      from: { path: '^lambdas/' },
      to: { path: '^lib/' },
    },
    {
      name: 'client-imports-only-the-contract',
      severity: 'error',
      comment: 'The client library ships alone (npm run build:client): it imports its own modules and the wire contract, nothing else.',
      from: { path: '^client/', pathNot: '^client/build\\.mjs$' },
      to: { pathNot: ['^client/', '^contract/'] },
    },
    {
      name: 'client-reaches-nothing-of-the-service',
      severity: 'error',
      comment: 'Not even through the contract: the client bundle must not pull in service code or the schema library.',
      from: { path: '^client/', pathNot: '^client/build\\.mjs$' },
      to: { path: ['^(lambdas|local|lib)/', '^node_modules/'], reachable: true },
    },
    {
      name: 'contract-imports-only-valibot',
      severity: 'error',
      comment:
        'The wire contract is shared by the service, the client and the specs: it imports valibot and, for the error ' +
        'its validation throws, lambdas/domain/errors.ts (typed errors live in one place), nothing else of theirs.',
      from: { path: '^contract/' },
      to: { pathNot: ['^contract/', '^node_modules/valibot/', '^lambdas/domain/errors\\.ts$'] },
    },
    {
      name: 'no-test-code-in-the-product',
      severity: 'error',
      comment: 'Only tests (and benchmarks) import test/ helpers and fixtures.',
      from: { pathNot: '^(test|bench)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and the layers meaningless; move the shared part into a module both import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports and that imports nothing is dead (knip reports unreachable files too).',
      // test/setup-env.ts: jest's setupFiles (jest.config.js) loads it.
      from: { orphan: true, pathNot: ['^test/setup-env\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file: a typo, a removed module, or a package missing from package.json.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|dist|coverage|web/dist|client/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Package subpaths such as @aws-lambda-powertools/logger/middleware exist only in "exports".
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
