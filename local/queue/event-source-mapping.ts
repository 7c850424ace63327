/**
 * An SQS event source mapping: the queue as a source of the shared mapping core
 * (local/lambda/event-source-mapping.ts), which gathers, invokes and reads the answer; here,
 * what Lambda's SQS pollers do with it: delete what the function handled.
 */
import {
  type BatchingOptions,
  type BatchOutcome,
  type BatchSource,
  EventSourceMapping,
  type RecordContext,
} from '../lambda/event-source-mapping';
import type { FunctionConfig } from '../lambda/invoke';
import type { ReceivedMessage } from './message-queue';
import type { QueueRuntime } from './queue-runtime';
import { toSQSRecord } from './sqs-event';

export interface EventSourceOptions {
  /** Messages per invocation; AWS default 10, 1 to 10,000 for standard queues. */
  readonly batchSize?: number;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`. */
  readonly reportBatchItemFailures?: boolean;
  /** How long to gather a batch; AWS default 0, at most 300 s (AWS takes whole seconds, milliseconds are a local convenience). */
  readonly maximumBatchingWindowMs?: number;
  /** `ScalingConfig.MaximumConcurrency`: batches in flight at most; 2 to 1,000, default unset. */
  readonly maxConcurrency?: number;
}

// Skipped AWS behaviour: FilterCriteria and Lambda's backoff after function errors or throttles.
// AWS: Lambda starts with five concurrent pollers/batches per SQS mapping (it scales up from there; skipped here).
const CONCURRENT_BATCHES = 5;
// AWS: one ReceiveMessage returns at most 10 messages; pollers gather bigger batches over several receives.
const RECEIVE_MAX = 10;
const MAX_BATCH_SIZE = 10_000;
const MAX_BATCHING_WINDOW_MS = 300_000;

/** A mapping's settings once checked, AWS defaults filled in. */
export type EventSourceSettings = BatchingOptions & Pick<EventSourceOptions, 'maxConcurrency'>;

/** Checks the mapping the way CreateEventSourceMapping does; throws a descriptive Error. */
export function validateEventSource(
  queueName: string,
  visibilityTimeoutSeconds: number,
  fn: FunctionConfig,
  options: EventSourceOptions,
): EventSourceSettings {
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
  const { maxConcurrency } = options;
  // AWS: MaximumConcurrency is 2 to 1,000.
  if (maxConcurrency !== undefined && (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)) {
    throw new Error(`MaximumConcurrency ${maxConcurrency} for ${queueName} must be between 2 and 1000`);
  }
  // AWS: CreateEventSourceMapping refuses a queue whose visibility timeout is shorter than the function timeout.
  if (visibilityTimeoutSeconds < fn.timeoutSeconds) {
    throw new Error(
      `Queue visibility timeout: ${visibilityTimeoutSeconds} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds (${queueName} -> ${fn.name})`,
    );
  }
  return {
    batchSize,
    maximumBatchingWindowMs: window,
    reportBatchItemFailures: options.reportBatchItemFailures ?? false,
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
  };
}

export class SqsEventSourceMapping {
  private readonly mapping: EventSourceMapping;

  constructor(
    runtime: QueueRuntime,
    fn: FunctionConfig,
    options: EventSourceSettings,
    context: RecordContext,
    log: (line: string) => void,
  ) {
    this.mapping = new EventSourceMapping(fn, options, log);
    // AWS: MaximumConcurrency caps the batches in flight.
    void this.mapping.addLane(
      queueSource(runtime, fn, context, log),
      Math.min(CONCURRENT_BATCHES, options.maxConcurrency ?? CONCURRENT_BATCHES),
    );
  }

  /** Stops receiving and waits for the invocations under way (and their deletes). */
  stop(): Promise<void> {
    return this.mapping.stop();
  }
}

const queueSource = (
  runtime: QueueRuntime,
  fn: FunctionConfig,
  context: RecordContext,
  log: (line: string) => void,
): BatchSource<ReceivedMessage> => ({
  receive: (max, maxBytes) => runtime.receive({ maxMessages: Math.min(RECEIVE_MAX, max), maxBytes }),
  waitForRecords: (deadline, signal) => runtime.waitForMessages(deadline, signal),
  ended: () => false,
  id: (message) => message.messageId,
  size: (message) => message.size,
  event: (batch) => ({ Records: batch.map((message) => toSQSRecord(message, context)) }),
  settle: async (batch: readonly ReceivedMessage[], outcome: BatchOutcome) => {
    if (outcome.kind === 'failure') {
      // AWS: a failed batch deletes nothing; it comes back after the visibility timeout.
      log(
        `[sqs] ${fn.name}: batch of ${batch.length} from ${runtime.queue.name} failed (${outcome.reason}); retried after the visibility timeout`,
      );
      return;
    }
    const failed = new Set(outcome.kind === 'partial' ? outcome.failedIds : []);
    for (const message of batch) {
      // AWS: on partial failure only the reported messages stay; the rest of the batch is deleted.
      if (failed.has(message.messageId)) continue;
      // A stale handle (the message came back and was received again meanwhile) deletes nothing, as DeleteMessage does.
      runtime.delete(message.receiptHandle);
    }
  },
});
