/**
 * Invoking a handler the way Lambda does: the event crosses a JSON boundary, the result comes
 * back through one, the context looks real, and the configured timeout is enforced.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface FunctionConfig {
  readonly name: string;
  readonly handler: LambdaHandler;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export class FunctionTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds (${name})`);
    this.name = 'FunctionTimeoutError';
  }
}

// AWS: events and results are JSON-serialised across the Lambda boundary (Dates become strings, undefined keys vanish).
const jsonRoundTrip = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

const makeContext = (fn: FunctionConfig, deadline: number): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: fn.name,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn.name}`,
  memoryLimitInMB: String(fn.memoryMb),
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${fn.name}`,
  logStreamName: `local/${randomUUID()}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** Runs `fn` with `event`; rejects on a function error or when the timeout passes. */
export const invoke = async (fn: FunctionConfig, event: unknown): Promise<unknown> => {
  const timeoutMs = fn.timeoutSeconds * 1000;
  const context = makeContext(fn, Date.now() + timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // AWS: a function that runs past its timeout is stopped and counts as a function error.
    timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, fn.timeoutSeconds)), timeoutMs);
  });
  try {
    return jsonRoundTrip(await Promise.race([fn.handler(jsonRoundTrip(event), context), timeout]));
  } finally {
    clearTimeout(timer);
  }
};
