/**
 * Fan-out: delivers decided presence changes to every connection watching the changed users, one
 * frame per connection carrying all of its changes (coalesced), per connection:
 *
 * - A post that fails (throttled: the client's buffer is full or the account is over its rate; a
 *   5xx; a timeout) is retried for that connection alone, through the retry queue, with bounded
 *   full-jitter backoff; after `maxAttempts` retries that one connection is closed, so its client
 *   reconnects and re-subscribes. Nobody else is posted again because of it.
 * - A change's watchers are read a page at a time. The stream notifier posts the fan-outs that fit
 *   in one page itself, smallest first, up to `inlineBudget` distinct connections per invocation
 *   (users whose watchers overlap count them once). A popular user (more than a page of watchers)
 *   never takes that budget: its fan-out, and every small one past the budget, goes to the fan-out
 *   queue, whose consumer posts one page and queues the next. No invocation's time grows with the
 *   watcher count, and a popular user delays only their own fan-out.
 * - Queued fan-outs whose watchers overlap travel together: one task carries several users' cursors
 *   and each step posts one frame per connection with all of its changes (a page's worth of
 *   connections at most: each cursor reads its share of the page).
 * - A source (stream record, queue message) is reported failed only when its watchers could not be
 *   read or its further pages could not be queued, or, last resort, when a failed post could
 *   neither be queued for retry nor its connection closed.
 */

import type {
  ConnectionGateway,
  ConnectionRegistry,
  DeliveryRetry,
  DeliveryRetryQueue,
  FanOutCursor,
  FanOutQueue,
  FanOutTask,
  PostResult,
  VersionedChange,
  WatcherPage,
} from '../ports';
import { forEachLimited } from './concurrency';
import { assertIsError } from './errors';
import { changeJson } from './present';
import { type BackoffPolicy, backoffDelay } from './retry';

/** At most ~130 bytes each: 100 changes stay far below API Gateway's 32 KB frame limit. */
export const MAX_CHANGES_PER_FRAME = 100;

/** Users one fan-out task carries at most: each reads at least a tenth of a page per step. */
export const MAX_CURSORS_PER_TASK = 10;

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

/** One cursor's page, read for the `index`-th input (stream change, fan-out task). */
interface ReadPage {
  readonly index: number;
  readonly cursor: FanOutCursor;
  readonly page: WatcherPage;
}

export interface NotifierDeps {
  readonly registry: Pick<ConnectionRegistry, 'watcherPage'>;
  readonly gateway: Pick<ConnectionGateway, 'post' | 'close'>;
  readonly fanOut: FanOutQueue;
  readonly retries: DeliveryRetryQueue;
  /** Called for a connection API Gateway says is gone (410), with its user. A failure is logged, not retried. */
  readonly onGone: (connectionId: string, userId: string) => Promise<void>;
  /**
   * A pace for one invocation's posts (a token bucket holding that invocation's share of the
   * account's rate); called once per invocation. None: as fast as `concurrency` allows.
   */
  readonly pace?: () => { take(): Promise<void> };
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

  /** The stream's changes: small fan-outs inline and first, popular users and the rest to the fan-out queue. */
  async notify(changes: readonly VersionedChange[]): Promise<NotifyReport> {
    const report = emptyReport();
    const failedUserIds = new Set<string>();
    const cursors = latestPerUser(changes).map((change) => ({ change, after: null }));
    const reads = await this.readPages(
      cursors.map((cursor, index) => ({ index, cursor, limit: this.pageSize })),
      (cursor, _index, error) => {
        failedUserIds.add(cursor.change.userId);
        this.deps.log?.('watchers query failed', { userId: cursor.change.userId, error: error.message });
      },
    );
    const budget = this.deps.inlineBudget ?? this.pageSize;
    const inlineConnections = new Set<string>();
    const inline: ReadPage[] = [];
    const queued: ReadPage[] = [];
    for (const read of [...reads].sort((a, b) => a.page.watchers.length - b.page.watchers.length)) {
      const fresh = read.page.next === null ? read.page.watchers.filter((watcher) => !inlineConnections.has(watcher.connectionId)) : [];
      if (read.page.next === null && inlineConnections.size + new Set(fresh.map((watcher) => watcher.connectionId)).size <= budget) {
        for (const watcher of fresh) inlineConnections.add(watcher.connectionId);
        inline.push(read);
      } else queued.push(read);
    }
    const tasks = tasksOf(queued);
    for (const task of await this.enqueue(tasks, report)) task.cursors.forEach((cursor) => failedUserIds.add(cursor.change.userId));
    const unresolved = await this.deliver(framesOf(inline, report), report);
    for (const frame of unresolved) frame.changes.forEach((change) => failedUserIds.add(change.userId));
    return { ...report, failedUserIds };
  }

  /**
   * Fan-out tasks: each reads the next page of every cursor it carries (a share of a page each),
   * queues the step after it, then posts. A task whose pages cannot all be read, or whose next step
   * cannot be queued, posts nothing and is reported failed: redelivered, it is done whole, once.
   */
  async fanOut(tasks: readonly FanOutTask[]): Promise<BatchReport> {
    const report = emptyReport();
    const failed = new Set<number>();
    const reads = await this.readPages(
      tasks.flatMap((task, index) => {
        const limit = Math.max(1, Math.ceil(this.pageSize / task.cursors.length));
        return task.cursors.map((cursor) => ({ index, cursor, limit }));
      }),
      (cursor, index, error) => {
        failed.add(index);
        this.deps.log?.('watchers query failed', { userId: cursor.change.userId, after: cursor.after, error: error.message });
      },
    );
    const readable = reads.filter((read) => !failed.has(read.index));
    const continuations = [...tasks.keys()].flatMap((index) => {
      const cursors = readable
        .filter((read) => read.index === index && read.page.next !== null)
        .map((read) => ({ change: read.cursor.change, after: read.page.next }));
      return cursors.length === 0 || failed.has(index) ? [] : [{ index, task: { cursors } }];
    });
    const unqueued = new Set(
      await this.enqueue(
        continuations.map((continuation) => continuation.task),
        report,
      ),
    );
    for (const continuation of continuations) if (unqueued.has(continuation.task)) failed.add(continuation.index);
    const posting = readable.filter((read) => !failed.has(read.index));
    const taskOf = new Map(posting.map((read) => [read.cursor.change, read.index]));
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

  private async readPages(
    reads: readonly { readonly index: number; readonly cursor: FanOutCursor; readonly limit: number }[],
    onFailure: (cursor: FanOutCursor, index: number, error: Error) => void,
  ): Promise<ReadPage[]> {
    const pages: (ReadPage | undefined)[] = [];
    await forEachLimited([...reads.keys()], this.deps.readConcurrency ?? 16, async (at) => {
      const { index, cursor, limit } = reads[at];
      try {
        pages[at] = { index, cursor, page: await this.deps.registry.watcherPage(cursor.change.userId, cursor.after, limit) };
      } catch (error) {
        assertIsError(error);
        onFailure(cursor, index, error);
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
    const pace = this.deps.pace?.();
    await forEachLimited(frames, this.deps.concurrency ?? 32, async (frame) => {
      await pace?.take();
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
        const retry: DeliveryRetry = {
          ...frame,
          attempt,
          delayMs: backoffDelay(attempt, this.deps.backoff ?? DEFAULT_BACKOFF, this.deps.random),
        };
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

/**
 * The queued fan-outs as tasks: users whose first pages share a connection travel together (at
 * most MAX_CURSORS_PER_TASK a task), each from its first page; the others each on their own.
 */
const tasksOf = (reads: readonly ReadPage[]): FanOutTask[] => {
  // Union-find over the users, joined by the connections their first pages share.
  const parent = reads.map((_, at) => at);
  const root = (at: number): number => (parent[at] === at ? at : (parent[at] = root(parent[at])));
  const firstReader = new Map<string, number>();
  reads.forEach((read, at) => {
    for (const { connectionId } of read.page.watchers) {
      const other = firstReader.get(connectionId);
      if (other === undefined) firstReader.set(connectionId, at);
      else parent[root(at)] = root(other);
    }
  });
  const groups = new Map<number, FanOutCursor[]>();
  reads.forEach((read, at) => groups.set(root(at), [...(groups.get(root(at)) ?? []), { change: read.cursor.change, after: null }]));
  return [...groups.values()].flatMap((cursors) => {
    const tasks: FanOutTask[] = [];
    for (let start = 0; start < cursors.length; start += MAX_CURSORS_PER_TASK)
      tasks.push({ cursors: cursors.slice(start, start + MAX_CURSORS_PER_TASK) });
    return tasks;
  });
};

/** One frame per connection with all of its changes (at most 100 per frame), in page order. */
const framesOf = (reads: readonly ReadPage[], report: MutableReport): Frame[] => {
  const pending = new Map<string, { userId: string; changes: VersionedChange[] }>();
  for (const { cursor, page } of reads) {
    report.fanOutSize += page.watchers.length;
    for (const watcher of page.watchers) {
      const entry = pending.get(watcher.connectionId) ?? { userId: watcher.userId, changes: [] };
      entry.changes.push(cursor.change);
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
