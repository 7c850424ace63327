/**
 * Handler wiring, built once per execution environment (module scope, reused across invocations)
 * from configuration alone: the same code runs on AWS and locally, where only the endpoints differ.
 *
 * One module per capability of the app manifest (presence table, database, tokens, connections,
 * grace queue), each importing only its own AWS SDK client: a handler imports the modules of the
 * capabilities it uses, so its bundle loads no other client at cold start. This one has no SDK.
 */

import { ScryptPasswordHasher } from '../../adapters/scrypt-password-hasher';
import { type PresencePolicy, policyFromSeconds } from '../../domain/presence';
import type { Clock, PasswordHasher } from '../../ports';
import { numberEnv } from '../config';
import { DEFAULTS, ENV } from '../environment';

export const clock: Clock = () => Date.now();

/**
 * What every handler's AWS SDK client is built with. `cacheMiddleware`: the client resolves its
 * middleware stack once per command class instead of on every request, which is safe because no
 * handler changes a client's middleware after building it (test/unit/wiring.test.ts). Not for the
 * DynamoDB client: the DocumentClient refuses the option.
 */
export const SDK_CLIENT_DEFAULTS = { cacheMiddleware: true } as const;

/** A lazily built module-scope singleton. */
export const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

/** Presence rules from configuration. */
export const presencePolicy = once(
  (): PresencePolicy =>
    policyFromSeconds(numberEnv(ENV.leaseSeconds, DEFAULTS.leaseSeconds), numberEnv(ENV.graceSeconds, DEFAULTS.graceSeconds)),
);

export const heartbeatSeconds = (): number => numberEnv(ENV.heartbeatSeconds, DEFAULTS.heartbeatSeconds);

/** Shards of the sweep index: the planner queues one sweep per shard, the store spreads users over them. */
export const sweepShards = (): number => numberEnv(ENV.sweepShards, DEFAULTS.sweepShards);

/** Sweep index buckets are one minute wide by default: EventBridge's finest schedule on AWS. */
export const sweepBucketMs = once((): number => numberEnv(ENV.sweepBucketSeconds, DEFAULTS.sweepBucketSeconds) * 1000);

export const passwordHasher = once((): PasswordHasher => new ScryptPasswordHasher());

/**
 * A port this handler was not wired with: calling it is a wiring mistake (the manifest gives the
 * handler no such capability), reported as such instead of a confusing SDK or IAM error.
 */
export const notWired = <T extends object>(port: string, handlerHint: string): T =>
  new Proxy({} as T, {
    get: (_target, member) => {
      // Not a promise, and safe to log or serialise: only its port's methods throw.
      if (member === 'then' || member === 'toJSON' || typeof member === 'symbol') return undefined;
      return () => {
        throw new Error(`${port} is not wired into this handler (${handlerHint}); add the capability to its dependencies`);
      };
    },
  });
