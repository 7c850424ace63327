/**
 * PGlite in a worker thread. Postgres in WASM blocks the thread that runs it, so hosting it in a
 * worker keeps the HTTP endpoint answering (and timers firing) while a statement runs, which also
 * lets concurrent requests on one transaction be seen as concurrent (TXN-05). It also keeps PGlite
 * out of jest's module VM, where its dynamic import() calls fail.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** A statement's result as Postgres printed it. */
export interface RawResult {
  readonly columns: readonly { readonly name: string; readonly dataTypeID: number }[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly affectedRows: number;
}

interface Reply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: Record<string, string | undefined> & { message: string };
  readonly inTransaction: boolean;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** Rebuilds a Postgres error (message, code, detail, ...) on this side of the thread boundary. */
const toError = (fields: Reply['error'] & object): Error => Object.assign(new Error(fields.message), fields);

const WORKER_FILE = path.join(__dirname, 'pglite-worker.js');

export class PgliteHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private transactionOpen = false;
  private exited: Error | null = null;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    onUnexpectedExit?: (description: string) => void,
  ) {
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      this.fail(new Error(`PGlite worker exited with code ${code}`));
      if (!this.closing) onUnexpectedExit?.(`the PGlite worker (the local Data API's Postgres) exited by itself (code ${code})`);
    });
  }

  /** Boots PGlite on `database`, on disk in `dataDir` or in memory. */
  static async start(options: {
    readonly dataDir?: string;
    readonly database: string;
    readonly onUnexpectedExit?: (description: string) => void;
  }): Promise<PgliteHost> {
    const host = new PgliteHost(new Worker(WORKER_FILE), options.onUnexpectedExit);
    try {
      await host.call('open', { dataDir: options.dataDir, database: options.database });
    } catch (error) {
      host.closing = true;
      await host.worker.terminate();
      throw error;
    }
    return host;
  }

  /** Whether the session is inside a transaction block, as of the last reply. */
  get inTransaction(): boolean {
    return this.transactionOpen;
  }

  query(sql: string, values: readonly (string | null)[] = [], types: readonly number[] = []): Promise<RawResult> {
    return this.call('query', { sql, values, types }) as Promise<RawResult>;
  }

  /** Runs SQL of our own (BEGIN, COMMIT, ...) with the simple protocol; returns each statement's command tag. */
  exec(sql: string): Promise<(string | null)[]> {
    return this.call('exec', { sql }) as Promise<(string | null)[]>;
  }

  /** Closes PGlite (which flushes the data dir) and ends the worker. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.exited !== null) return;
    await this.call('close', undefined);
    await this.worker.terminate();
  }

  private call(method: string, args: unknown): Promise<unknown> {
    if (this.exited !== null) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    this.transactionOpen = reply.inTransaction;
    if (reply.error !== undefined) pending.reject(toError(reply.error));
    else pending.resolve(reply.result);
  }

  private fail(error: Error): void {
    this.exited ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
