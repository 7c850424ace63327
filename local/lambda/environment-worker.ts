/**
 * The inside of one execution environment (execution-environment.ts): loads the function's module
 * once and runs each invocation the main thread sends through `invoke()`, as the main thread would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isError } from '../../lambdas/domain/errors';
import type { EnvironmentSpec, InvocationReply, InvocationRequest } from './execution-environment';
import { type FunctionConfig, invoke, type LambdaHandler } from './invoke';

const spec = workerData as EnvironmentSpec;
const port = parentPort;
if (port === null) throw new Error('environment-worker.ts runs in a worker thread');

let loaded: FunctionConfig | Error | undefined;

/** The function, loaded on the first invocation (the cold start); a module that fails to load fails every invocation. */
const load = (): FunctionConfig => {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const module = require(spec.entry) as { handler?: LambdaHandler };
      if (typeof module.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
      loaded = { name: spec.name, handler: module.handler, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb };
    } catch (error) {
      // AWS: an init error (Runtime.ImportModuleError and the like) fails the invocation that started the environment, and the next.
      loaded = isError(error) ? error : new Error(String(error));
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
};

port.on('message', async ({ id, event, requestId }: InvocationRequest) => {
  let reply: InvocationReply;
  try {
    reply = { id, result: await invoke(load(), event, requestId) };
  } catch (error) {
    const failure = isError(error) ? error : new Error(String(error));
    reply = { id, error: { name: failure.name, message: failure.message, stack: failure.stack } };
  }
  port.postMessage(reply);
});
