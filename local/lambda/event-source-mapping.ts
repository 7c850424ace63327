/**
 * What a Lambda event source mapping does whatever its source: gather a batch (batch size,
 * batching window, 6 MB), invoke the function, read its ReportBatchItemFailures answer, keep a
 * limited number of batches in flight, and stop cleanly. A source (the shards of a DynamoDB
 * stream, an SQS queue) says where records come from and what an outcome means for them:
 * checkpoint, retry, bisect or delete.
 */

import { isError } from '../../lambdas/domain/errors';
import { type FunctionConfig, invoke } from './invoke';

/** What Lambda adds to every record: the source's ARN and region (the real ones, not a stand-in's). */
export interface RecordContext {
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export type BatchOutcome =
  | { readonly kind: 'success' }
  /** The whole batch failed: a function error (a throw, a timeout) or a response Lambda cannot read. */
  | { readonly kind: 'failure'; readonly reason: string; readonly functionError?: true }
  /** ReportBatchItemFailures named these records (in batch order); the rest of the batch succeeded. */
  | { readonly kind: 'partial'; readonly failedIds: readonly string[] };

/**
 * ESM-04: how Lambda reads a function's (JSON-transported) answer to a batch, for streams and
 * queues alike. `batchIds` are the records' identifiers: sequence numbers or message ids.
 */
export function interpretBatchResponse(response: unknown, batchIds: readonly string[], reportBatchItemFailures: boolean): BatchOutcome {
  // ESM-04: without FunctionResponseTypes ReportBatchItemFailures the response is ignored and a return means success.
  if (!reportBatchItemFailures) return { kind: 'success' };
  // ESM-04: a null/empty response, or a null/empty batchItemFailures list, is complete success.
  if (response === null || response === undefined) return { kind: 'success' };
  // [INF] a response that is not an object cannot be a StreamsEventResponse or an SQSBatchResponse.
  if (typeof response !== 'object' || Array.isArray(response)) return { kind: 'failure', reason: 'the response is not an object' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    // ESM-04: an empty, null or missing itemIdentifier (e.g. a misspelt key) fails the whole batch.
    if (typeof id !== 'string' || id === '') return { kind: 'failure', reason: `invalid batch item failure ${JSON.stringify(failure)}` };
    // AWS (SQS; [VERIFY] for streams, undocumented): an identifier that is not one of this batch fails the whole batch.
    if (!batchIds.includes(id)) return { kind: 'failure', reason: `itemIdentifier ${JSON.stringify(id)} is not a record of this batch` };
    failed.add(id);
  }
  return { kind: 'partial', failedIds: batchIds.filter((id) => failed.has(id)) };
}

/** Where a mapping's records come from, and what a batch's outcome does to them. */
export interface BatchSource<T> {
  /**
   * Up to `max` records (about `maxBytes` at most) ready now that are not yet part of the batch
   * being gathered; [] when there are none. Never throws: a source logs and backs off itself.
   */
  receive(max: number, maxBytes: number): Promise<readonly T[]> | readonly T[];
  /** Resolves when records may be ready, at `deadline` (epoch ms) at the latest, or when `signal` aborts. */
  waitForRecords(deadline: number | undefined, signal: AbortSignal): Promise<void>;
  /** True once the source will never have records again (a closed shard, fully processed). */
  ended(): boolean;
  /** The record's identifier in `batchItemFailures`. */
  id(record: T): string;
  size(record: T): number;
  event(batch: readonly T[]): unknown;
  /** Checkpoints, deletes, retries, bisects or discards, as the outcome means for this source. */
  settle(batch: readonly T[], outcome: BatchOutcome): Promise<void>;
}

export interface BatchingOptions {
  readonly batchSize: number;
  /** 0: invoke as soon as there are records. */
  readonly maximumBatchingWindowMs: number;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`. */
  readonly reportBatchItemFailures: boolean;
}

// AWS: an invocation payload is at most 6 MB, which also caps a batch (record sizes are used as the measure).
const MAX_BATCH_BYTES = 6 * 1024 * 1024;

/** One mapping to one function: any number of lanes (shards, pollers), each with its own concurrency. */
export class EventSourceMapping {
  private readonly abort = new AbortController();
  private readonly lanes = new Set<Promise<void>>();

  constructor(
    private readonly fn: FunctionConfig,
    private readonly options: BatchingOptions,
    private readonly log: (line: string) => void,
  ) {}

  get running(): boolean {
    return !this.abort.signal.aborted;
  }

  /** Delivers `source`'s batches, at most `concurrency` at once, until the mapping stops or the source ends. */
  addLane<T>(source: BatchSource<T>, concurrency: number): Promise<void> {
    const lane: Promise<void> = this.runLane(source, concurrency).finally(() => this.lanes.delete(lane));
    this.lanes.add(lane);
    return lane;
  }

  /** Stops gathering and waits for the batches in flight and what their outcomes do. Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort();
    while (this.lanes.size > 0) await Promise.allSettled([...this.lanes]);
  }

  /** Resolves after `ms`, or at once when the mapping stops. */
  sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async runLane<T>(source: BatchSource<T>, concurrency: number): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (this.running && !source.ended()) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const batch = await this.gather(source);
      if (batch.length === 0) continue;
      const delivery: Promise<void> = this.deliver(source, batch)
        .catch((error: unknown) =>
          this.log(`[esm] ${this.fn.name}: unexpected error: ${(isError(error) ? error.stack : undefined) ?? String(error)}`),
        )
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    }
    await Promise.allSettled([...inFlight]);
  }

  /** Receives until the batch is full, the 6 MB cap is reached, or the batching window closes. */
  private async gather<T>(source: BatchSource<T>): Promise<T[]> {
    const { batchSize, maximumBatchingWindowMs } = this.options;
    const batch: T[] = [];
    let bytes = 0;
    let deadline: number | undefined;
    while (this.running) {
      const received = await source.receive(batchSize - batch.length, MAX_BATCH_BYTES - bytes);
      batch.push(...received);
      bytes += received.reduce((sum, record) => sum + source.size(record), 0);
      if (batch.length >= batchSize || bytes >= MAX_BATCH_BYTES) return batch;
      // Keep draining while the source has records.
      if (received.length > 0) continue;
      if (batch.length > 0) {
        // AWS: with a window of 0 a poller invokes as soon as it holds any records.
        if (maximumBatchingWindowMs === 0) return batch;
        deadline ??= Date.now() + maximumBatchingWindowMs;
        if (Date.now() >= deadline) return batch;
      }
      if (source.ended()) return batch;
      await source.waitForRecords(deadline, this.abort.signal);
    }
    // Stopped while gathering, like a disabled mapping: the records held are not delivered (a queue's come back after their visibility timeout).
    return [];
  }

  private async deliver<T>(source: BatchSource<T>, batch: readonly T[]): Promise<void> {
    let outcome: BatchOutcome;
    try {
      // LAM-01: invoke() carries the event and the answer across the JSON boundary, once each way.
      const response = await invoke(this.fn, source.event(batch));
      outcome = interpretBatchResponse(
        response,
        batch.map((record) => source.id(record)),
        this.options.reportBatchItemFailures,
      );
    } catch (error) {
      // LAM-02: a function error (a throw, a timeout) fails the whole batch.
      outcome = { kind: 'failure', reason: `function error: ${isError(error) ? error.message : String(error)}`, functionError: true };
    }
    await source.settle(batch, outcome);
  }
}
