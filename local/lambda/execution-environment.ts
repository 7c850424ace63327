/**
 * A function in its own execution environment: a worker thread that loads the function's module
 * on its first invocation (a cold start) and then runs its invocations, several at once, with its
 * own module state, SDK clients, socket pools and event loop. In one process every function shares
 * one event loop and one HTTP agent per SDK client, so one function's burst of posts queues behind
 * nothing on AWS but delays every other function here.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface EnvironmentSpec {
  readonly name: string;
  /** Absolute path of the handler module; it exports `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** One invocation, as the main thread hands it to the environment. */
export interface InvocationRequest {
  readonly id: number;
  readonly event: unknown;
  readonly requestId: string;
}

/** The environment's answer: a result, or the function error (an Error does not keep its name across threads). */
export type InvocationReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };

const WORKER = path.join(__dirname, 'environment-worker.ts');

/**
 * Handlers are TypeScript: every environment loads tsx's CommonJS hook (`npm start`'s `--import tsx`
 * registers its hooks for the main thread only; a worker given it fails on the `.ts` entry).
 */
// A CPU profile of the process (`--cpu-prof`, e.g. the bench's BENCH_CPU_PROF) covers each function's thread too.
const WORKER_EXEC_ARGV = [...process.execArgv.filter((arg) => arg.startsWith('--cpu-prof')), '--require', require.resolve('tsx/cjs')];

/** Invocations one environment runs at once; more wait for a free slot. */
const DEFAULT_MAX_CONCURRENCY = 64;

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class ExecutionEnvironment {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Waiter>();
  private readonly queued: (InvocationRequest & Waiter)[] = [];
  private nextId = 0;
  private stopped = false;
  private readonly maxConcurrency: number;

  constructor(
    private readonly spec: EnvironmentSpec,
    options: { readonly maxConcurrency?: number } = {},
  ) {
    this.maxConcurrency = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  }

  /**
   * Runs one invocation in the environment, which starts on the first one. The environment's
   * `invoke()` gives it its context and enforces its timeout from when it starts there: an
   * invocation that waits for a slot is not yet running.
   */
  invoke(event: unknown, requestId: string): Promise<unknown> {
    if (this.stopped) return Promise.reject(new Error(`${this.spec.name}: the local stack is stopping`));
    return new Promise((resolve, reject) => {
      this.queued.push({ id: (this.nextId += 1), event, requestId, resolve, reject });
      this.dispatch();
    });
  }

  // Skipped AWS behaviour: Lambda meets a burst with more environments (up to the account's
  // concurrency, then throttles); one thread and one DynamoDB Local cannot, so a burst of 1,500
  // `$disconnect`s, all at once, queued behind each other's calls until most of them timed out.
  private dispatch(): void {
    while (this.pending.size < this.maxConcurrency && this.queued.length > 0) {
      const { id, event, requestId, resolve, reject } = this.queued.shift() as InvocationRequest & Waiter;
      this.pending.set(id, { resolve, reject });
      this.start().postMessage({ id, event, requestId } satisfies InvocationRequest);
    }
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // AWS: each environment gets the function's configuration as its environment variables, read once at its start.
    const worker = new Worker(WORKER, { workerData: this.spec, env: { ...process.env }, execArgv: WORKER_EXEC_ARGV });
    worker.on('message', (reply: InvocationReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if ('result' in reply) waiter.resolve(reply.result);
      else waiter.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
      this.dispatch();
    });
    const lost = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      // AWS: an environment that crashes fails the invocations it was running; the next one starts a new environment.
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.reject(new Error(`${this.spec.name}: the execution environment ${reason}`));
      }
      if (this.stopped)
        for (const waiter of this.queued.splice(0)) waiter.reject(new Error(`${this.spec.name}: the local stack is stopping`));
      else this.dispatch();
    };
    worker.on('error', (error) => lost(`crashed (${error.message})`));
    worker.on('exit', (code) => lost(`exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** Stops the environment; invocations still running fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.queued.splice(0)) waiter.reject(new Error(`${this.spec.name}: the local stack is stopping`));
    const worker = this.worker;
    if (worker !== undefined) await worker.terminate();
  }
}
