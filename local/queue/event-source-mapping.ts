/**
 * An SQS event source mapping: pollers that receive batches from a queue, invoke a function with
 * Lambda's SQS event and delete what the function handled, the way Lambda's managed pollers do.
 */
import { invoke, type FunctionConfig } from '../lambda/invoke';
import type { ReceivedMessage } from './message-queue';
import type { QueueRuntime } from './queue-runtime';
import { interpretBatchResponse, toLambdaRecord, type BatchOutcome, type RecordContext } from './sqs-event';

export interface EventSourceOptions {
  /** Messages per invocation; AWS default 10, 1 to 10,000 for standard queues. */
  readonly batchSize?: number;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`. */
  readonly reportBatchItemFailures?: boolean;
  /** How long to gather a batch; AWS default 0, at most 300 s (AWS takes whole seconds, milliseconds are a local convenience). */
  readonly maximumBatchingWindowMs?: number;
}

// Skipped AWS behaviour: FilterCriteria, ScalingConfig.MaximumConcurrency and Lambda's backoff after function errors or throttles.
// AWS: Lambda starts with five concurrent pollers/batches per SQS mapping (it scales up from there; skipped here).
const CONCURRENT_BATCHES = 5;
// AWS: one ReceiveMessage returns at most 10 messages; pollers gather bigger batches over several receives.
const RECEIVE_MAX = 10;
// AWS: a synchronous invocation payload is at most 6 MB, which also caps a batch (message sizes are used as the measure).
const MAX_BATCH_BYTES = 6 * 1024 * 1024;
const MAX_BATCH_SIZE = 10_000;
const MAX_BATCHING_WINDOW_MS = 300_000;

/** Checks the mapping the way CreateEventSourceMapping does; throws a descriptive Error. */
export function validateEventSource(
  queueName: string,
  visibilityTimeoutSeconds: number,
  fn: FunctionConfig,
  options: EventSourceOptions,
): Required<EventSourceOptions> {
  const batchSize = options.batchSize ?? 10;
  const window = options.maximumBatchingWindowMs ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new Error(`BatchSize ${batchSize} for ${queueName} must be between 1 and ${MAX_BATCH_SIZE}`);
  }
  if (!Number.isFinite(window) || window < 0 || window > MAX_BATCHING_WINDOW_MS) {
    throw new Error(`MaximumBatchingWindow ${window} ms for ${queueName} must be between 0 and ${MAX_BATCHING_WINDOW_MS} ms`);
  }
  // AWS: a batch size above 10 needs a batching window of at least 1 second.
  if (batchSize > 10 && window < 1000) {
    throw new Error(`BatchSize ${batchSize} for ${queueName} needs a MaximumBatchingWindow of at least 1 second`);
  }
  // AWS: CreateEventSourceMapping refuses a queue whose visibility timeout is shorter than the function timeout.
  if (visibilityTimeoutSeconds < fn.timeoutSeconds) {
    throw new Error(
      `Queue visibility timeout: ${visibilityTimeoutSeconds} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds (${queueName} -> ${fn.name})`,
    );
  }
  return { batchSize, maximumBatchingWindowMs: window, reportBatchItemFailures: options.reportBatchItemFailures ?? false };
}

export class SqsEventSourceMapping {
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop: Promise<void>;

  constructor(
    private readonly runtime: QueueRuntime,
    private readonly fn: FunctionConfig,
    private readonly options: Required<EventSourceOptions>,
    private readonly context: RecordContext,
    private readonly log: (line: string) => void,
  ) {
    this.loop = this.poll();
  }

  /** Stops receiving and waits for the invocations under way (and their deletes). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private get running(): boolean {
    return !this.abort.signal.aborted;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      if (this.inFlight.size >= CONCURRENT_BATCHES) {
        await Promise.race(this.inFlight);
        continue;
      }
      const batch = await this.gatherBatch();
      if (batch.length === 0) continue;
      const handling: Promise<void> = this.handle(batch)
        .catch((error: unknown) => this.log(`[sqs] ${this.fn.name}: unexpected error: ${(error as Error).stack ?? String(error)}`))
        .finally(() => this.inFlight.delete(handling));
      this.inFlight.add(handling);
    }
  }

  /** Receives until the batch is full, the 6 MB cap is reached, or the batching window closes. */
  private async gatherBatch(): Promise<ReceivedMessage[]> {
    const { batchSize, maximumBatchingWindowMs } = this.options;
    const batch: ReceivedMessage[] = [];
    let bytes = 0;
    let deadline: number | undefined;
    while (this.running) {
      const received = this.runtime.receive({
        maxMessages: Math.min(RECEIVE_MAX, batchSize - batch.length),
        maxBytes: MAX_BATCH_BYTES - bytes,
      });
      batch.push(...received);
      bytes += received.reduce((sum, message) => sum + message.size, 0);
      if (batch.length >= batchSize || bytes >= MAX_BATCH_BYTES) return batch;
      // Keep draining while receives return messages.
      if (received.length > 0) continue;
      if (batch.length > 0) {
        // AWS: with a window of 0 a poller invokes as soon as it holds any messages.
        if (maximumBatchingWindowMs === 0) return batch;
        deadline ??= Date.now() + maximumBatchingWindowMs;
        if (Date.now() >= deadline) return batch;
      }
      await this.runtime.waitForMessages(deadline, this.abort.signal);
    }
    // Stopped while gathering: like a disabled mapping, the held messages come back after their visibility timeout.
    return [];
  }

  private async handle(batch: ReceivedMessage[]): Promise<void> {
    const messageIds = batch.map((message) => message.messageId);
    const event = { Records: batch.map((message) => toLambdaRecord(message, this.context)) };
    let outcome: BatchOutcome;
    try {
      outcome = interpretBatchResponse(await invoke(this.fn, event), messageIds, this.options.reportBatchItemFailures);
    } catch (error) {
      // AWS: a function error (throw or timeout) deletes nothing; the batch comes back after the visibility timeout.
      outcome = { kind: 'failure', reason: (error as Error).message };
    }
    if (outcome.kind === 'failure') {
      this.log(`[sqs] ${this.fn.name}: batch of ${batch.length} from ${this.runtime.queue.name} failed (${outcome.reason}); retried after the visibility timeout`);
      return;
    }
    for (const message of batch) {
      // AWS: on partial failure only the reported messages stay; the rest of the batch is deleted.
      if (outcome.kind === 'partial' && outcome.failedMessageIds.has(message.messageId)) continue;
      // A stale handle (the message came back and was received again meanwhile) deletes nothing, as DeleteMessage does.
      this.runtime.delete(message.receiptHandle);
    }
  }
}
