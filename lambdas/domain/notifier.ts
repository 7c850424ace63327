/**
 * Fan-out: delivers decided presence changes to every connection watching the changed users, one
 * frame per connection carrying all of its changes (coalesced), per connection:
 *
 * - A post that fails (throttled: the client's buffer is full or the account is over its rate; a
 *   5xx; a timeout) is retried for that connection alone, through the retry queue, with bounded
 *   full-jitter backoff; after `maxAttempts` retries that one connection is closed, so its client
 *   reconnects and re-subscribes. Nobody else is posted again because of it.
 * - A change's watchers are read a page at a time. The stream notifier posts the first pages of
 *   the smallest fan-outs inline (up to `inlineBudget` connections per invocation) and hands every
 *   further page, and every fan-out too big for what is left of the budget, to the fan-out queue,
 *   whose consumer posts one page and queues the next. No invocation's time grows with the
 *   watcher count, and a popular user delays only their own fan-out.
 * - A source (stream record, queue message) is reported failed only when its watchers could not be
 *   read or its further pages could not be queued, or, last resort, when a failed post could
 *   neither be queued for retry nor its connection closed.
 */
import { assertIsError } from './errors';
import { forEachLimited } from './concurrency';
import { changeJson } from './present';
import { type BackoffPolicy, backoffDelay } from './retry';
import type {
  ConnectionGateway,
  ConnectionRegistry,
  DeliveryRetry,
  DeliveryRetryQueue,
  FanOutQueue,
  FanOutTask,
  PostResult,
  VersionedChange,
  WatcherPage,
} from '../ports';

/** At most ~130 bytes each: 100 changes stay far below API Gateway's 32 KB frame limit. */
export const MAX_CHANGES_PER_FRAME = 100;

/** Counts of one invocation, for metrics. */
export interface DeliveryReport {
  readonly framesPosted: number;
  /** Posts that failed, by kind: 410 gone, throttled (LimitExceededException), anything else. */
  readonly postsFailed: { readonly gone: number; readonly throttled: number; readonly other: number };
  readonly retriesQueued: number;
  readonly connectionsClosed: number;
  /** Watcher connections listed in the pages this invocation posted. */
  readonly fanOutSize: number;
  /** Fan-out pages handed to the fan-out queue. */
  readonly pagesQueued: number;
  /** Post time - changedAt, over every change delivered. */
  readonly deliveryLagMs: { readonly count: number; readonly max: number; readonly total: number };
}

export interface NotifyReport extends DeliveryReport {
  /** Users whose stream record must be retried (their watchers could not be read, or worse). */
  readonly failedUserIds: ReadonlySet<string>;
}

export interface BatchReport extends DeliveryReport {
  /** Indexes of the input (fan-out tasks, retries) to deliver again. */
  readonly failed: ReadonlySet<number>;
}

type MutableReport = {
  framesPosted: number;
  postsFailed: { gone: number; throttled: number; other: number };
  retriesQueued: number;
  connectionsClosed: number;
  fanOutSize: number;
  pagesQueued: number;
  deliveryLagMs: { count: number; max: number; total: number };
};

const emptyReport = (): MutableReport => ({
  framesPosted: 0,
  postsFailed: { gone: 0, throttled: 0, other: 0 },
  retriesQueued: 0,
  connectionsClosed: 0,
  fanOutSize: 0,
  pagesQueued: 0,
  deliveryLagMs: { count: 0, max: 0, total: 0 },
});

/**
 * The newest change per user: the highest item version (the write that announced it), not the
 * latest `changedAt`, which is only as good as the clock of whoever decided the change.
 */
export const latestPerUser = (changes: readonly VersionedChange[]): VersionedChange[] => {
  const latest = new Map<string, VersionedChange>();
  for (const change of changes) {
    const seen = latest.get(change.userId);
    if (seen === undefined || seen.version <= change.version) latest.set(change.userId, change);
  }
  return [...latest.values()];
};

/** One frame for one connection; `attempt` is how many retries it already had. */
interface Frame {
  readonly connectionId: string;
  readonly userId: string;
  readonly changes: readonly VersionedChange[];
  readonly attempt: number;
}

interface ReadPage {
  readonly index: number;
  readonly task: FanOutTask;
  readonly page: WatcherPage;
}

export interface NotifierDeps {
  readonly registry: Pick<ConnectionRegistry, 'watcherPage'>;
  readonly gateway: Pick<ConnectionGateway, 'post' | 'close'>;
  readonly fanOut: FanOutQueue;
  readonly retries: DeliveryRetryQueue;
  /** Called for a connection API Gateway says is gone (410), with its user. A failure is logged, not retried. */
  readonly onGone: (connectionId: string, userId: string) => Promise<void>;
  /** Paces posts (a token bucket per invocation); none: as fast as `concurrency` allows. */
  readonly pace?: { take(): Promise<void> };
  /** Posts in flight. Default 32. */
  readonly concurrency?: number;
  /** Watcher pages read at once (the users of a batch are read concurrently). Default 16. */
  readonly readConcurrency?: number;
  /** Watchers per page (and per fan-out task). Default 1,000. */
  readonly pageSize?: number;
  /** Connections the stream notifier posts to itself per invocation; the rest go to the fan-out queue. Default `pageSize`. */
  readonly inlineBudget?: number;
  /** Retries of one frame to one connection before that connection is closed. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff of those retries. Default 1 s doubling up to 4 s: all three within ~7 s, inside the contract's 10 s. */
  readonly backoff?: BackoffPolicy;
  readonly clock?: () => number;
  readonly random?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export const DEFAULT_PAGE_SIZE = 1_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 4_000 };

export class Notifier {
  private readonly pageSize: number;

  constructor(private readonly deps: NotifierDeps) {
    this.pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /** The stream's changes: small fan-outs inline and first, every other page to the fan-out queue. */
  async notify(changes: readonly VersionedChange[]): Promise<NotifyReport> {
    const report = emptyReport();
    const failedUserIds = new Set<string>();
    const tasks = latestPerUser(changes).map((change) => ({ change, after: null }));
    const reads = await this.readPages(tasks, (task, _index, error) => {
      failedUserIds.add(task.change.userId);
      this.deps.log?.('watchers query failed', { userId: task.change.userId, error: error.message });
    });
    let budget = this.deps.inlineBudget ?? this.pageSize;
    const inline: ReadPage[] = [];
    const queued: FanOutTask[] = [];
    for (const read of [...reads].sort((a, b) => a.page.watchers.length - b.page.watchers.length)) {
      if (read.page.watchers.length <= budget) {
        budget -= read.page.watchers.length;
        inline.push(read);
        if (read.page.next !== null) queued.push({ change: read.task.change, after: read.page.next });
      } else queued.push({ change: read.task.change, after: null });
    }
    for (const task of await this.enqueue(queued, report)) failedUserIds.add(task.change.userId);
    const unresolved = await this.deliver(framesOf(inline.filter((read) => !failedUserIds.has(read.task.change.userId)), report), report);
    for (const frame of unresolved) frame.changes.forEach((change) => failedUserIds.add(change.userId));
    return { ...report, failedUserIds };
  }

  /** Fan-out tasks: each posts one page and first queues the page after it. */
  async fanOut(tasks: readonly FanOutTask[]): Promise<BatchReport> {
    const report = emptyReport();
    const failed = new Set<number>();
    const reads = await this.readPages(tasks, (task, index, error) => {
      failed.add(index);
      this.deps.log?.('watchers query failed', { userId: task.change.userId, after: task.after, error: error.message });
    });
    const continuations = reads.flatMap((read) => (read.page.next === null ? [] : [{ index: read.index, task: { change: read.task.change, after: read.page.next } }]));
    const unqueued = new Set(await this.enqueue(continuations.map((continuation) => continuation.task), report));
    for (const continuation of continuations) if (unqueued.has(continuation.task)) failed.add(continuation.index);
    const posting = reads.filter((read) => !failed.has(read.index));
    const taskOf = new Map(posting.map((read) => [read.task.change, read.index]));
    for (const frame of await this.deliver(framesOf(posting, report), report)) {
      frame.changes.forEach((change) => failed.add(taskOf.get(change) as number));
    }
    return { ...report, failed };
  }

  /** Retries from the retry queue: one frame to one connection each. */
  async retry(retries: readonly DeliveryRetry[]): Promise<BatchReport> {
    const report = emptyReport();
    const frames: Frame[] = retries.map(({ connectionId, userId, changes, attempt }) => ({ connectionId, userId, changes, attempt }));
    const unresolved = new Set(await this.deliver(frames, report));
    const failed = new Set(frames.flatMap((frame, index) => (unresolved.has(frame) ? [index] : [])));
    return { ...report, failed };
  }

  private async readPages(tasks: readonly FanOutTask[], onFailure: (task: FanOutTask, index: number, error: Error) => void): Promise<ReadPage[]> {
    const pages: (ReadPage | undefined)[] = [];
    await forEachLimited([...tasks.keys()], this.deps.readConcurrency ?? 16, async (index) => {
      const task = tasks[index];
      try {
        pages[index] = { index, task, page: await this.deps.registry.watcherPage(task.change.userId, task.after, this.pageSize) };
      } catch (error) {
        assertIsError(error);
        onFailure(task, index, error);
      }
    });
    return pages.filter((page): page is ReadPage => page !== undefined);
  }

  /** @returns the tasks that could not be queued. */
  private async enqueue(tasks: readonly FanOutTask[], report: MutableReport): Promise<readonly FanOutTask[]> {
    if (tasks.length === 0) return [];
    let unqueued: readonly FanOutTask[];
    try {
      unqueued = await this.deps.fanOut.enqueue(tasks);
    } catch (error) {
      assertIsError(error);
      unqueued = tasks;
      this.deps.log?.('fan-out pages could not be queued', { pages: tasks.length, error: error.message });
    }
    report.pagesQueued += tasks.length - unqueued.length;
    return unqueued;
  }

  /** Posts every frame once; @returns the frames that could neither be delivered, queued for retry, nor closed. */
  private async deliver(frames: readonly Frame[], report: MutableReport): Promise<Frame[]> {
    const failures: Frame[] = [];
    await forEachLimited(frames, this.deps.concurrency ?? 32, async (frame) => {
      await this.deps.pace?.take();
      let result: PostResult | 'other';
      try {
        result = await this.deps.gateway.post(frame.connectionId, { type: 'presence', presences: frame.changes.map(changeJson) });
      } catch (error) {
        assertIsError(error);
        result = 'other';
        this.deps.log?.('post failed', { connectionId: frame.connectionId, error: error.message });
      }
      if (result === 'delivered') {
        report.framesPosted += 1;
        const now = (this.deps.clock ?? Date.now)();
        for (const change of frame.changes) {
          const lag = now - change.changedAt;
          report.deliveryLagMs.count += 1;
          report.deliveryLagMs.total += lag;
          report.deliveryLagMs.max = Math.max(report.deliveryLagMs.max, lag);
        }
      } else if (result === 'gone') {
        report.postsFailed.gone += 1;
        await this.deps.onGone(frame.connectionId, frame.userId).catch((error: unknown) => {
          assertIsError(error);
          this.deps.log?.('cleanup after a 410 failed', { connectionId: frame.connectionId, error: error.message });
        });
      } else {
        report.postsFailed[result] += 1;
        failures.push(frame);
      }
    });
    return failures.length === 0 ? [] : this.retryOrClose(failures, report);
  }

  /** Queues each failed frame's next retry, or closes its connection once the retries are spent (or cannot be queued). */
  private async retryOrClose(failures: readonly Frame[], report: MutableReport): Promise<Frame[]> {
    const maxAttempts = this.deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const toClose = failures.filter((frame) => frame.attempt >= maxAttempts);
    const next = failures
      .filter((frame) => frame.attempt < maxAttempts)
      .map((frame) => {
        const attempt = frame.attempt + 1;
        const retry: DeliveryRetry = { ...frame, attempt, delayMs: backoffDelay(attempt, this.deps.backoff ?? DEFAULT_BACKOFF, this.deps.random) };
        return { frame, retry };
      });
    if (next.length > 0) {
      let unqueued: ReadonlySet<DeliveryRetry>;
      try {
        unqueued = new Set(await this.deps.retries.schedule(next.map((entry) => entry.retry)));
      } catch (error) {
        assertIsError(error);
        unqueued = new Set(next.map((entry) => entry.retry));
        this.deps.log?.('retries could not be queued', { retries: next.length, error: error.message });
      }
      report.retriesQueued += next.length - unqueued.size;
      toClose.push(...next.filter((entry) => unqueued.has(entry.retry)).map((entry) => entry.frame));
    }
    const unresolved: Frame[] = [];
    const byConnection = new Map<string, Frame[]>();
    for (const frame of toClose) byConnection.set(frame.connectionId, [...(byConnection.get(frame.connectionId) ?? []), frame]);
    await forEachLimited([...byConnection.keys()], this.deps.concurrency ?? 32, async (connectionId) => {
      try {
        // Its client reconnects and re-subscribes: it reads the current presence then, never silence.
        await this.deps.gateway.close(connectionId);
        report.connectionsClosed += 1;
      } catch (error) {
        assertIsError(error);
        unresolved.push(...(byConnection.get(connectionId) ?? []));
        this.deps.log?.('close failed', { connectionId, error: error.message });
      }
    });
    return unresolved;
  }
}

/** One frame per connection with all of its changes (at most 100 per frame), in page order. */
const framesOf = (reads: readonly ReadPage[], report: MutableReport): Frame[] => {
  const pending = new Map<string, { userId: string; changes: VersionedChange[] }>();
  for (const { task, page } of reads) {
    report.fanOutSize += page.watchers.length;
    for (const watcher of page.watchers) {
      const entry = pending.get(watcher.connectionId) ?? { userId: watcher.userId, changes: [] };
      entry.changes.push(task.change);
      pending.set(watcher.connectionId, entry);
    }
  }
  return [...pending].flatMap(([connectionId, { userId, changes }]) => {
    const frames: Frame[] = [];
    for (let start = 0; start < changes.length; start += MAX_CHANGES_PER_FRAME) {
      frames.push({ connectionId, userId, changes: changes.slice(start, start + MAX_CHANGES_PER_FRAME), attempt: 0 });
    }
    return frames;
  });
};
