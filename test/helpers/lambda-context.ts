import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  readonly functionName?: string;
  readonly awsRequestId?: string;
  /**
   * What `getRemainingTimeInMillis()` answers: a fixed number, or a function read on every call
   * (e.g. a deadline on a fake clock). Default 30 s.
   */
  readonly remainingMs?: number | (() => number);
}

/**
 * The one Lambda `Context` for tests that call a handler directly: every field Node's runtime
 * sets, with plausible values, so middleware that reads any of them sees what Lambda gives it.
 */
export const lambdaContext = (options: LambdaContextOptions = {}): Context => {
  const functionName = options.functionName ?? 'test-function';
  const { remainingMs = 30_000 } = options;
  const unsupported = () => {
    throw new Error('done/fail/succeed are the callback-era API; handlers here return promises');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: options.awsRequestId ?? 'test-request-id',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/05/[$LATEST]00000000000000000000000000000000',
    getRemainingTimeInMillis: typeof remainingMs === 'function' ? remainingMs : () => remainingMs,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
};
