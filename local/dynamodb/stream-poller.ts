/**
 * A DynamoDB Streams poller that feeds a handler the way a Lambda event source mapping does
 * (emulation-fidelity.md §6-9: DDB-*, ESM-*, FLT-*, TTL-*): the shards, their checkpoints and
 * filters, their ParallelizationFactor lanes (records split by partition key, one batch in flight
 * per lane), and what a failed batch means for its lane. Gathering batches, invoking and reading the
 * answer are the shared core's (local/lambda/event-source-mapping.ts); `GetRecords` is read raw
 * (streams-api.ts), so the handler sees Lambda's wire shapes rather than SDK objects.
 *
 * Starting position: `LATEST` by default, as the local runtime keeps no checkpoints. With a persistent
 * data directory that means a restart never replays old records (ESM-07); records written while no
 * poller runs are not delivered, as on AWS for writes made before a mapping exists.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { assertIsError, isError } from '../../lambdas/domain/errors';
import { type BatchOutcome, type BatchSource, EventSourceMapping } from '../lambda/event-source-mapping';
import type { FunctionConfig } from '../lambda/invoke';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../shared/aws';
import { StreamsApiError, UnknownStreamEventError } from './errors';
import {
  CREATION_TIME_SLACK_SECONDS,
  laneOf,
  lowestSequenceNumber,
  matchesAnyFilter,
  parseFilterPatterns,
  rewriteArn,
  type StreamRecordContext,
  toDynamoDBRecord,
  usesNumericOperator,
} from './stream-records';
import { type ShardDescription, StreamsApi } from './streams-api';

export interface StreamMappingOptions {
  /** Records per invocation; default 100 (AWS default). */
  batchSize?: number;
  /** Retries of a failing batch before it is discarded; default -1 = infinite (AWS default). */
  maximumRetryAttempts?: number;
  /** Records older than this are discarded unsent; default -1 = never (AWS default), else 60 to 604,800. */
  maximumRecordAgeSeconds?: number;
  /** Split a failing batch in two before retrying (splits do not count as retries). */
  bisectBatchOnFunctionError?: boolean;
  /** `FunctionResponseTypes: ["ReportBatchItemFailures"]`. */
  reportBatchItemFailures?: boolean;
  /**
   * Batches of one shard in flight at once, 1 to 10 (default 1, the AWS default). Records are
   * spread over that many lanes by partition key, so one key's records stay in order, in one lane.
   */
  parallelizationFactor?: number;
  /** `FilterCriteria` patterns (objects, JSON text, or `{pattern: "<json>"}`), ORed. */
  filters?: object[];
  /** On-failure destination: receives a `DDBStreamBatchInfo` invocation record for discarded batches. */
  onFailure?: (info: unknown) => Promise<void> | void;
  /** Per-shard poll interval when the shard is idle; default 250 ms (Lambda polls each shard 4x/s). */
  pollIntervalMs?: number;
  /** Default `LATEST` (see the module comment). */
  startingPosition?: 'LATEST' | 'TRIM_HORIZON';
  /** Region and account shown in `awsRegion` / `eventSourceARN`; default us-east-1 / 000000000000. */
  region?: string;
  accountId?: string;
  /** The table's TTL attribute; default: read from DescribeTimeToLive. */
  ttlAttribute?: string;
}

export interface StreamPollerOptions extends StreamMappingOptions {
  endpoint: string;
  tableName: string;
  fn: FunctionConfig;
  log?: (line: string) => void;
}

export interface StreamPoller {
  /** Stops polling and waits for an in-flight batch; rejects if the poller had stopped on a fatal error. */
  stop(): Promise<void>;
}

/** Starts polling every shard of the table's stream; resolves once the starting positions are fixed. */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const poller = new ShardPoller(options);
  await poller.start();
  return { stop: () => poller.stop() };
}

/** One of a shard's ParallelizationFactor lanes: the records of its partition keys, one batch at a time. */
interface LaneState {
  /** Read but not yet checkpointed, in stream order. */
  pending: DynamoDBRecord[];
  /** Size of the next batch; smaller than batchSize after a bisect. */
  batchLimit: number;
  /** Pending records handed out for the batch being gathered. */
  offered: number;
  /** Failed invocations of the current batch since the checkpoint last moved. */
  attempts: number;
  /** Ends the lane's wait for records early: another lane's read brought it some. */
  wake?: () => void;
}

interface ShardState {
  readonly id: string;
  readonly parentId?: string;
  status: 'waiting' | 'running' | 'done';
  /** Where a fresh iterator starts when nothing has been read from the shard yet. */
  initialPosition: 'LATEST' | 'TRIM_HORIZON';
  iterator?: string;
  /** Highest sequence number read (delivered or filtered out): iterators are re-acquired after it. */
  lastRead?: string;
  readonly lanes: readonly LaneState[];
  /** The GetRecords call in flight, which every lane that needs records shares. */
  reading?: Promise<number | 'failed'>;
  /** After a read that found nothing, the shard is not read again before this (epoch ms), whichever lane asks. */
  idleUntil: number;
  /** GetRecords failures in a row. */
  readFailures: number;
  endOfShard: boolean;
}

const MAX_BACKOFF_MS = 5_000;

class ShardPoller {
  private readonly maximumRetryAttempts: number;
  private readonly maximumRecordAgeSeconds: number;
  private readonly pollIntervalMs: number;
  private readonly patterns: ReturnType<typeof parseFilterPatterns>;
  private readonly log: (line: string) => void;
  private readonly mapping: EventSourceMapping;
  private readonly batchSize: number;
  private readonly parallelizationFactor: number;
  private readonly shards = new Map<string, ShardState>();
  private readonly api: StreamsApi;
  private streamArn = '';
  /** The table's partition key attribute, which picks a record's lane. */
  private partitionKey = '';
  private context!: StreamRecordContext;
  private fatalError: unknown;
  private warnedTtlNormalisation = false;
  private discovery?: Promise<void>;

  constructor(private readonly options: StreamPollerOptions) {
    this.api = new StreamsApi(options.endpoint);
    this.batchSize = options.batchSize ?? 100;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10_000) {
      throw new Error(`batchSize must be 1..10000, got ${options.batchSize}`);
    }
    this.parallelizationFactor = options.parallelizationFactor ?? 1;
    const factor = this.parallelizationFactor;
    // AWS: ParallelizationFactor is 1 to 10.
    if (!Number.isInteger(factor) || factor < 1 || factor > 10) throw new Error(`parallelizationFactor must be 1..10, got ${factor}`);
    // ESM-03: -1 (the default) retries until the record expires; the IaC sets a finite value.
    this.maximumRetryAttempts = options.maximumRetryAttempts ?? -1;
    this.maximumRecordAgeSeconds = options.maximumRecordAgeSeconds ?? -1;
    const age = this.maximumRecordAgeSeconds;
    // AWS: MaximumRecordAgeInSeconds is -1 or 60 to 604,800.
    if (age !== -1 && (!Number.isInteger(age) || age < 60 || age > 604_800))
      throw new Error(`maximumRecordAgeSeconds must be -1 or 60..604800, got ${age}`);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    // ESM-02: no batching window (MaximumBatchingWindowInSeconds is skipped locally): a batch is delivered as soon as it is read.
    this.mapping = new EventSourceMapping(
      options.fn,
      { batchSize: this.batchSize, maximumBatchingWindowMs: 0, reportBatchItemFailures: options.reportBatchItemFailures === true },
      this.log,
    );
    // FLT-05: invalid patterns fail when the mapping is created, not at the first record.
    this.patterns = parseFilterPatterns(options.filters ?? []);
    for (const pattern of this.patterns) {
      if (usesNumericOperator(pattern)) {
        this.log(
          `[stream-poller] ${options.tableName}: filter ${JSON.stringify(pattern)} uses "numeric", which DynamoDB filters do not support; it never matches`,
        );
      }
    }
  }

  async start(): Promise<void> {
    const stream = await this.api.stream(this.options.tableName);
    const arn = (this.streamArn = stream.arn);
    this.partitionKey = stream.partitionKey;
    const region = this.options.region ?? LOCAL_REGION;
    this.context = {
      eventSourceARN: rewriteArn(arn, region, this.options.accountId ?? LOCAL_ACCOUNT_ID),
      awsRegion: region,
      ttlAttribute: this.options.ttlAttribute ?? (await this.api.ttlAttribute(this.options.tableName)),
    };
    const startingPosition = this.options.startingPosition ?? 'LATEST';
    for (const shard of await this.api.shards(this.streamArn)) {
      const state = this.addShard(shard, startingPosition);
      if (startingPosition === 'LATEST') {
        // ESM-07: LATEST means "from now": closed shards hold only the past, open ones get their iterator now.
        if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) state.status = 'done';
        else state.iterator = await this.api.shardIterator(arn, state.id, { ShardIteratorType: 'LATEST' });
      }
    }
    this.schedule();
    this.discovery = this.discoverLoop();
  }

  async stop(): Promise<void> {
    await this.mapping.stop();
    await this.discovery;
    if (this.fatalError !== undefined) throw this.fatalError;
  }

  // -------------------------------------------------------------------------------------------
  // Shards

  private addShard(shard: ShardDescription, initialPosition: 'LATEST' | 'TRIM_HORIZON'): ShardState {
    const state: ShardState = {
      id: shard.ShardId,
      parentId: shard.ParentShardId,
      status: 'waiting',
      initialPosition,
      lanes: Array.from({ length: this.parallelizationFactor }, () => ({
        pending: [],
        batchLimit: this.batchSize,
        offered: 0,
        attempts: 0,
      })),
      idleUntil: 0,
      readFailures: 0,
      endOfShard: false,
    };
    this.shards.set(state.id, state);
    return state;
  }

  /** ESM-08: a shard starts only once its parent is fully processed (or has aged out of the stream). */
  private schedule(): void {
    if (!this.mapping.running) return;
    for (const shard of this.shards.values()) {
      if (shard.status !== 'waiting') continue;
      const parent = shard.parentId === undefined ? undefined : this.shards.get(shard.parentId);
      if (parent !== undefined && parent.status !== 'done') continue;
      shard.status = 'running';
      // ESM-01: one batch at a time per lane, in order; a shard has ParallelizationFactor lanes, split by partition key.
      void Promise.all(shard.lanes.map((lane) => this.mapping.addLane(this.laneSource(shard, lane), 1))).then(() => {
        if (!this.ended(shard)) return;
        // ESM-08: a closed shard (NextShardIterator null) ends; its children may start now.
        shard.status = 'done';
        this.log(`[stream-poller] ${this.options.tableName}: shard ${shard.id} closed and fully processed`);
        this.schedule();
      });
    }
  }

  private async discoverLoop(): Promise<void> {
    const interval = Math.max(1_000, this.pollIntervalMs * 4);
    while (this.mapping.running) {
      await this.mapping.sleep(interval);
      if (!this.mapping.running) return;
      try {
        for (const shard of await this.api.shards(this.streamArn)) {
          // ESM-08: shards that appear after the mapping started (children, rollovers) are read from their start.
          if (!this.shards.has(shard.ShardId)) this.addShard(shard, 'TRIM_HORIZON');
        }
        this.schedule();
      } catch (error) {
        assertIsError(error);
        this.log(`[stream-poller] ${this.options.tableName}: DescribeStream failed: ${error.message}`);
      }
    }
  }

  /** The shard is closed and this lane has delivered all it read. */
  private laneEnded(shard: ShardState, lane: LaneState): boolean {
    return shard.endOfShard && lane.pending.length === 0;
  }

  private ended(shard: ShardState): boolean {
    return shard.lanes.every((lane) => this.laneEnded(shard, lane));
  }

  /** One lane of the shard as the mapping core sees it: records in stream order, settled by checkpoint. */
  private laneSource(shard: ShardState, lane: LaneState): BatchSource<DynamoDBRecord> {
    return {
      receive: (max, maxBytes) => this.receive(shard, lane, max, maxBytes),
      // ESM-01: Lambda polls each shard about 4 times a second (pollIntervalMs) while it is idle.
      waitForRecords: (deadline) =>
        this.waitForRecords(lane, deadline === undefined ? this.pollIntervalMs : Math.min(this.pollIntervalMs, deadline - Date.now())),
      ended: () => this.laneEnded(shard, lane),
      id: (record) => record.dynamodb?.SequenceNumber as string,
      size: (record) => record.dynamodb?.SizeBytes ?? 0,
      event: (batch) => ({ Records: batch }),
      settle: (batch, outcome) => this.settle(shard, lane, batch, outcome),
    };
  }

  /** Waits `ms`, or less if another lane's read brings this one records. */
  private waitForRecords(lane: LaneState, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      lane.wake = resolve;
      void this.mapping.sleep(ms).then(resolve);
    }).finally(() => {
      lane.wake = undefined;
    });
  }

  /** The lane's next pending records not yet in the batch being gathered, reading the shard once they are all out. */
  private async receive(shard: ShardState, lane: LaneState, max: number, maxBytes: number): Promise<DynamoDBRecord[]> {
    const room = Math.min(max, lane.batchLimit - lane.offered);
    if (room <= 0) return [];
    // ESM-02: with no batching window a batch is what the poller holds now: it reads the shard for a batch
    // with nothing in it yet, never again to fill one (AWS: "If the batch that Lambda reads from the event
    // source has only one record in it, Lambda sends only one record"). Records filtered out, or read for
    // other lanes, move the iterator on too: read again until this lane has some pending or the shard is idle.
    while (lane.offered === 0 && lane.pending.length === 0 && !shard.endOfShard && this.mapping.running) {
      const read = await this.read(shard);
      if (read === 'failed') return [];
      if (read === 0) break;
    }
    if (lane.offered === 0) await this.discardAged(shard, lane);
    const records: DynamoDBRecord[] = [];
    let bytes = 0;
    for (const record of lane.pending.slice(lane.offered, lane.offered + room)) {
      bytes += record.dynamodb?.SizeBytes ?? 0;
      if (records.length > 0 && bytes > maxBytes) break;
      records.push(record);
    }
    lane.offered += records.length;
    return records;
  }

  /** One GetRecords call for every lane that needs records now; 'failed' once it has been logged and backed off. */
  private read(shard: ShardState): Promise<number | 'failed'> {
    // ESM-01: one poller per shard polls an idle shard about 4 times a second, not once per lane.
    if (shard.reading === undefined && Date.now() < shard.idleUntil) return Promise.resolve(0);
    shard.reading ??= this.readOnce(shard).finally(() => {
      shard.reading = undefined;
    });
    return shard.reading;
  }

  private async readOnce(shard: ShardState): Promise<number | 'failed'> {
    try {
      const read = await this.readRecords(shard);
      shard.readFailures = 0;
      shard.idleUntil = read === 0 ? Date.now() + this.pollIntervalMs : 0;
      return read;
    } catch (error) {
      if (error instanceof UnknownStreamEventError) {
        this.fail(error);
        return 'failed';
      }
      assertIsError(error);
      shard.readFailures += 1;
      this.log(`[stream-poller] ${this.options.tableName} ${shard.id}: ${error.message}`);
      await this.mapping.sleep(Math.min(MAX_BACKOFF_MS, this.pollIntervalMs * 2 ** shard.readFailures));
      return 'failed';
    }
  }

  /** One GetRecords call; returns how many records it read (delivered or filtered out). */
  private async readRecords(shard: ShardState): Promise<number> {
    shard.iterator ??= await this.api.shardIterator(
      this.streamArn,
      shard.id,
      shard.lastRead === undefined
        ? { ShardIteratorType: shard.initialPosition }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead },
    );
    let result: Awaited<ReturnType<StreamsApi['records']>>;
    try {
      result = await this.api.records(shard.iterator, this.batchSize);
    } catch (error) {
      if (error instanceof StreamsApiError && error.code === 'ExpiredIteratorException') {
        // ESM-08: iterators expire after 15 min; re-acquire after the last record read.
        this.log(`[stream-poller] ${this.options.tableName} ${shard.id}: iterator expired, re-acquiring`);
        shard.iterator = undefined;
        return 0;
      }
      if (error instanceof StreamsApiError && error.code === 'TrimmedDataAccessException') {
        // ESM-08: records past the 24 h retention are gone; carry on from the oldest record still there.
        this.log(
          `[stream-poller] ${this.options.tableName} ${shard.id}: records trimmed before they were read; continuing from TRIM_HORIZON`,
        );
        shard.iterator = undefined;
        shard.lastRead = undefined;
        shard.initialPosition = 'TRIM_HORIZON';
        return 0;
      }
      throw error;
    }
    const records = result.Records ?? [];
    shard.iterator = result.NextShardIterator ?? undefined;
    shard.endOfShard = result.NextShardIterator === null || result.NextShardIterator === undefined;
    for (const raw of records) {
      const { record, normalisedTtlDelete } = toDynamoDBRecord(raw, this.context);
      if (normalisedTtlDelete && !this.warnedTtlNormalisation) {
        this.warnedTtlNormalisation = true;
        this.log(
          `[stream-poller] ${this.options.tableName}: DynamoDB Local emitted a TTL delete as eventName ${JSON.stringify(raw.eventName)} ` +
            'without userIdentity; delivering it as AWS does (REMOVE + userIdentity dynamodb.amazonaws.com)',
        );
      }
      shard.lastRead = record.dynamodb?.SequenceNumber;
      // FLT-01: records no filter matches are dropped and the checkpoint moves past them.
      if (!matchesAnyFilter(record, this.patterns)) continue;
      const lane = shard.lanes[laneOf(record, this.partitionKey, shard.lanes.length)];
      lane.pending.push(record);
      lane.wake?.();
    }
    return records.length;
  }

  // -------------------------------------------------------------------------------------------
  // Outcomes (ESM-03, ESM-04, ESM-05)

  private async settle(shard: ShardState, lane: LaneState, batch: readonly DynamoDBRecord[], outcome: BatchOutcome): Promise<void> {
    lane.offered = 0;
    if (outcome.kind === 'success') {
      this.checkpoint(lane, batch.length);
      return;
    }

    let failed = batch;
    let reason: string;
    if (outcome.kind === 'partial') {
      // ESM-04: the lowest reported sequence number wins; everything from it on is retried.
      const from = lowestSequenceNumber(outcome.failedIds) as string;
      const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === from);
      if (index > 0) {
        // ESM-04: checkpoint just before the lowest failed record; [INF] progress restarts the retry count.
        this.checkpoint(lane, index);
        failed = batch.slice(index);
      }
      // ESM-05: with bisect as well, AWS splits at that record and retries only the rest, which this already does.
      reason = `partial failure from ${from}`;
    } else if (this.options.bisectBatchOnFunctionError === true && batch.length > 1) {
      // ESM-03: bisect on failure; splitting does not count towards the retry quota.
      lane.batchLimit = Math.ceil(batch.length / 2);
      this.log(`[stream-poller] ${this.options.tableName} ${shard.id}: batch of ${batch.length} failed (${outcome.reason}); bisecting`);
      await this.mapping.sleep(this.pollIntervalMs);
      return;
    } else {
      reason = outcome.reason;
    }

    lane.attempts += 1;
    // ESM-03: -1 retries forever, blocking the lane; otherwise 1 invocation + maximumRetryAttempts retries.
    // [INF] only this lane waits: AWS keeps order per partition key and documents nothing about a shard's other lanes.
    if (this.maximumRetryAttempts >= 0 && lane.attempts > this.maximumRetryAttempts) {
      this.log(
        `[stream-poller] ${this.options.tableName} ${shard.id}: ${failed.length} record(s) discarded after ${lane.attempts} attempt(s) (${reason})`,
      );
      await this.sendToOnFailure(
        shard,
        failed,
        lane.attempts,
        outcome.kind === 'failure' && outcome.functionError === true,
        'RetryAttemptsExhausted',
      );
      this.checkpoint(lane, failed.length);
      return;
    }
    this.log(`[stream-poller] ${this.options.tableName} ${shard.id}: batch of ${failed.length} failed (${reason}); retrying`);
    // [INF] Lambda documents no delay between stream retries; one poll interval keeps a failing handler from spinning.
    await this.mapping.sleep(this.pollIntervalMs);
  }

  /** ESM-03: records older than MaximumRecordAgeInSeconds are not sent (a retried batch included); the on-failure destination hears of them. */
  private async discardAged(shard: ShardState, lane: LaneState): Promise<void> {
    if (this.maximumRecordAgeSeconds === -1) return;
    // DynamoDB Local floors creation times to the minute: a record counts as aged only past that slack too, never early.
    const bornBefore = Date.now() / 1000 - this.maximumRecordAgeSeconds - CREATION_TIME_SLACK_SECONDS;
    const young = lane.pending.findIndex((record) => (record.dynamodb?.ApproximateCreationDateTime ?? Infinity) >= bornBefore);
    const aged = young === -1 ? lane.pending.length : young;
    if (aged === 0) return;
    this.log(
      `[stream-poller] ${this.options.tableName} ${shard.id}: ${aged} record(s) discarded unsent, older than ${this.maximumRecordAgeSeconds} s`,
    );
    await this.sendToOnFailure(shard, lane.pending.slice(0, aged), lane.attempts, false, 'RecordAgeExceeded');
    this.checkpoint(lane, aged);
  }

  /** The lane's first `count` pending records are done: drop them and reset the per-batch state. */
  private checkpoint(lane: LaneState, count: number): void {
    lane.pending.splice(0, count);
    lane.attempts = 0;
    if (lane.pending.length === 0) lane.batchLimit = this.batchSize;
  }

  /** ESM-03: the on-failure destination gets metadata only (DDBStreamBatchInfo), never the records. */
  private async sendToOnFailure(
    shard: ShardState,
    records: readonly DynamoDBRecord[],
    invokeCount: number,
    functionError: boolean,
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
  ): Promise<void> {
    if (this.options.onFailure === undefined) return;
    const first = records[0]?.dynamodb;
    const last = records[records.length - 1]?.dynamodb;
    const info = {
      requestContext: {
        requestId: randomUUID(),
        // functionArn is left out: a local handler has no ARN and a made-up one would mislead.
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(functionError ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.id,
        startSequenceNumber: first?.SequenceNumber,
        endSequenceNumber: last?.SequenceNumber,
        approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.context.eventSourceARN,
      },
    };
    try {
      await this.options.onFailure(info);
    } catch (error) {
      assertIsError(error);
      this.log(`[stream-poller] ${this.options.tableName} ${shard.id}: on-failure destination failed: ${error.message}`);
    }
  }

  private fail(error: unknown): void {
    if (this.fatalError === undefined) {
      this.fatalError = error;
      this.log(`[stream-poller] ${this.options.tableName}: FATAL, polling stopped: ${isError(error) ? error.message : String(error)}`);
    }
    void this.mapping.stop();
  }
}

/** `2019-11-14T00:13:19Z`, the format of DDBStreamBatchInfo's arrival times. */
function isoSeconds(epochSeconds: number | undefined): string | undefined {
  return epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
