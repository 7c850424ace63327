/**
 * How every handler is bundled: PresenceFunction hands these to NodejsFunction (esbuild) and the
 * `coldstart` bench builds with the same options, so the figures it reports are the deployed ones.
 *
 * The AWS SDK clients a handler uses are bundled in (tree-shaken, minified) rather than loaded from
 * the runtime's copy (NodejsFunction's `bundleAwsSDK` choice): a handler imports in 33-54 ms against
 * 70-168 ms with the SDK left external (bench `coldstart`; the SDK team measured the same direction,
 * aws-cdk#25492, aws-sdk-js-v3#5516). Left out are only the credential providers that the SDK's
 * default chain imports lazily (SSO, ini files, web identity, IMDS, ...): on Lambda the credentials
 * are in the environment, the chain's first link, so those imports never run. A synth test imports
 * every bundle with no node_modules around it, which proves the static imports only; were the chain
 * ever to go past the environment, those providers would have to resolve from the runtime's SDK.
 */
import type { BuildOptions, Metafile } from 'esbuild';

export const LAZY_CREDENTIAL_PROVIDERS: readonly string[] = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
];

export const HANDLER_BUNDLING = {
  minify: true,
  target: 'node22',
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies call require(); ESM output has none unless we make one.
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  externalModules: LAZY_CREDENTIAL_PROVIDERS,
} as const;

/**
 * HANDLER_BUNDLING as esbuild's own options, for building a handler outside CDK (the `coldstart`
 * bench, the bundle tests) exactly as NodejsFunction builds it.
 * @param external what to leave out (default: HANDLER_BUNDLING's; `['@aws-sdk/*']` for the runtime's SDK).
 */
export const handlerEsbuildOptions = (
  entryPath: string,
  outfile: string,
  external: readonly string[] = HANDLER_BUNDLING.externalModules,
): BuildOptions & { metafile: true } => ({
  entryPoints: [entryPath],
  outfile,
  bundle: true,
  platform: 'node',
  minify: HANDLER_BUNDLING.minify,
  sourcemap: true,
  sourcesContent: false,
  target: HANDLER_BUNDLING.target,
  format: 'esm',
  mainFields: [...HANDLER_BUNDLING.mainFields],
  banner: { js: HANDLER_BUNDLING.banner },
  external: [...external],
  metafile: true,
  logLevel: 'silent',
});

/** The AWS SDK client packages a bundle contains, or, built with the SDK external, imports. */
export const sdkClientsOf = (output: Metafile['outputs'][string] | undefined): string[] => {
  const bundled = Object.keys(output?.inputs ?? {}).flatMap(
    (input) => /node_modules\/@aws-sdk\/(client-[^/]+|lib-dynamodb)\//.exec(input)?.[1] ?? [],
  );
  const external = (output?.imports ?? [])
    .filter((entry) => entry.external && /^@aws-sdk\/(client-|lib-)/.test(entry.path))
    .map((entry) => entry.path.slice('@aws-sdk/'.length));
  return [...new Set([...bundled, ...external])].sort();
};
