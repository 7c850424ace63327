/**
 * Invoking a handler the way Lambda does: the event crosses a JSON boundary, the result comes
 * back through one, the context looks real, and the configured timeout is enforced.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../shared/aws';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * A function as the stand-ins invoke it: its handler, in this thread, or its own execution
 * environment (a worker thread, execution-environment.ts), where this same `invoke()` runs it.
 */
export type FunctionConfig = {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
} & (
  | { readonly handler: LambdaHandler; readonly environment?: undefined }
  | { readonly environment: { invoke(event: unknown, requestId: string): Promise<unknown> }; readonly handler?: undefined }
);

export class FunctionTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds (${name})`);
    this.name = 'FunctionTimeoutError';
  }
}

// AWS: events and results are JSON-serialised across the Lambda boundary (Dates become strings, undefined keys vanish).
const jsonRoundTrip = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

const makeContext = (fn: FunctionConfig, deadline: number, requestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: fn.name,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${fn.name}`,
  memoryLimitInMB: String(fn.memoryMb),
  awsRequestId: requestId,
  logGroupName: `/aws/lambda/${fn.name}`,
  logStreamName: `local/${randomUUID()}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/**
 * Environment a handler needs to keep concurrent invocations apart in one process: Powertools
 * scopes its log keys and metric buffers to the runtime's InvokeStore when this is set.
 */
export const CONCURRENT_INVOCATIONS_ENV = { AWS_LAMBDA_MAX_CONCURRENCY: '1000' } as const;

type InvocationState = Record<string | symbol, unknown>;

/** The runtime's InvokeStore as Lambda builds it for concurrent invocations: one AsyncLocalStorage scope per invocation. */
class ConcurrentInvokeStore extends InvokeStoreBase {
  private readonly scopes = new AsyncLocalStorage<InvocationState>();
  getContext(): InvocationState | undefined {
    return this.scopes.getStore();
  }
  hasContext(): boolean {
    return this.scopes.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.scopes.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    const state = this.scopes.getStore();
    if (this.isProtectedKey(key) || state === undefined)
      throw new Error(`Cannot set ${String(key)} outside an invocation or on a protected key`);
    state[key] = value;
  }
  run<T>(context: InvocationState, fn: () => T): T {
    return this.scopes.run(context, fn);
  }
}

// AWS: an execution environment runs one invocation at a time, unless it runs several
// (AWS_LAMBDA_MAX_CONCURRENCY), when the runtime scopes each one's state in its InvokeStore
// (globalThis.awslambda.InvokeStore). Every local invocation shares this process, so each runs
// in its own scope of such a store.
const lambdaGlobal = globalThis as unknown as { awslambda?: { InvokeStore?: InvokeStoreBase } };
lambdaGlobal.awslambda ??= {};
lambdaGlobal.awslambda.InvokeStore ??= new ConcurrentInvokeStore();
const invokeStore: InvokeStoreBase = lambdaGlobal.awslambda.InvokeStore;

/**
 * Runs `fn` with `event`; rejects on a function error or when the timeout passes. `requestId` is
 * the invocation's when it was handed on (to an execution environment's thread); else a new one.
 */
export const invoke = async (fn: FunctionConfig, event: unknown, requestId: string = randomUUID()): Promise<unknown> => {
  // There the environment's own invoke() (environment-worker.ts) gives it its context, JSON boundary and timeout.
  if (fn.environment !== undefined) return fn.environment.invoke(event, requestId);
  const timeoutMs = fn.timeoutSeconds * 1000;
  const context = makeContext(fn, Date.now() + timeoutMs, requestId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // AWS: a function that runs past its timeout is stopped and counts as a function error.
    timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, fn.timeoutSeconds)), timeoutMs);
  });
  try {
    const run = invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
      fn.handler(jsonRoundTrip(event), context),
    );
    return jsonRoundTrip(await Promise.race([run, timeout]));
  } finally {
    clearTimeout(timer);
  }
};
