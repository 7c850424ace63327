/**
 * What each handler's bundle carries: the AWS SDK clients of its capabilities in the app manifest
 * and no other (a handler loads only what it uses at cold start), built with the same options as
 * the deployed bundles (lib/handler-bundling.ts).
 */
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { type Capability, deployHandlers, handlers } from '../../lib/app-manifest';
import { HANDLER_BUNDLING, handlerEsbuildOptions, sdkClientsOf } from '../../lib/handler-bundling';

const ROOT = path.resolve(__dirname, '..', '..');

/** The SDK packages a capability's adapters use. */
const CLIENTS: Record<Capability, readonly string[]> = {
  presenceTable: ['client-dynamodb', 'lib-dynamodb'],
  presenceTableRead: ['client-dynamodb', 'lib-dynamodb'],
  logInAttempts: ['client-dynamodb', 'lib-dynamodb'],
  database: ['client-rds-data'],
  tokens: ['client-secrets-manager'],
  connections: ['client-apigatewaymanagementapi'],
  graceQueue: ['client-sqs'],
  webSocketUrl: [],
  fanOutQueue: ['client-sqs'],
  deliveryRetryQueue: ['client-sqs'],
  sweepQueue: ['client-sqs'],
};

const bundles = new Map<string, Promise<Metafile['outputs'][string] | undefined>>();
/** The entry's bundle as esbuild's metafile describes it, built once per test file. */
const bundleOf = (entry: string): Promise<Metafile['outputs'][string] | undefined> => {
  if (!bundles.has(entry)) {
    const output = build({
      ...handlerEsbuildOptions(path.join(ROOT, entry), path.join(ROOT, 'cdk.out', 'never-written', 'index.mjs')),
      write: false,
    }).then((result) => Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint !== undefined));
    bundles.set(entry, output);
  }
  return bundles.get(entry)!;
};

const bundledClients = async (entry: string): Promise<string[]> => sdkClientsOf(await bundleOf(entry));

/**
 * The one exception: health can be configured (HEALTH_PROBES) to probe the database, which the
 * local stack does; AWS leaves it out so a paused Aurora stays paused, and grants it nothing.
 */
const PROBE_ONLY: Readonly<Record<string, readonly string[]>> = { health: CLIENTS.database };

it.each(Object.entries({ ...handlers, ...deployHandlers }))(
  'bundles into %s exactly the SDK clients of its capabilities',
  async (name, spec) => {
    const expected = [...new Set([...spec.uses.flatMap((capability) => CLIENTS[capability]), ...(PROBE_ONLY[name] ?? [])])].sort();
    expect(await bundledClients(spec.entry)).toEqual(expected);
  },
  30_000,
);

/** The handlers that parse a body, query, path or frame: only they bundle the schema library (contract/validation.ts). */
const PARSES_INPUT = new Set([
  'signUp',
  'logIn',
  'searchUsers',
  'getUser',
  'getPresence',
  'setStatus',
  'wsDefault',
  'wsSubscribe',
  'wsUnsubscribe',
  'wsSetStatus',
  'wsHeartbeat',
]);

it.each(Object.entries({ ...handlers, ...deployHandlers }))(
  'bundles valibot into %s only if it parses input',
  async (name, spec) => {
    const inputs = Object.keys((await bundleOf(spec.entry))?.inputs ?? {});
    expect(inputs.some((input) => input.includes('node_modules/valibot/'))).toBe(PARSES_INPUT.has(name));
  },
  30_000,
);

it('leaves only the lazily imported credential providers out of the bundles', () => {
  expect(HANDLER_BUNDLING.externalModules.every((name) => /credential-provider|nested-clients|token-providers/.test(name))).toBe(true);
});
