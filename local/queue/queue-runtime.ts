/**
 * A MessageQueue on the wall clock: wakes waiting receivers (long polls, event source mappings)
 * the moment a message becomes visible — on a send, a dead-letter move, or when a delay or a
 * visibility timeout runs out — instead of having them poll on an interval.
 */
import type { MessageQueue, NewMessage, ReceivedMessage, ReceiveOptions, SentMessage } from './message-queue';

export class QueueRuntime {
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private closed = false;

  constructor(
    readonly queue: MessageQueue,
    private readonly clock: () => number = Date.now,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: NewMessage): SentMessage {
    const sent = this.queue.send(message, this.clock());
    this.changed();
    return sent;
  }

  receive(options: ReceiveOptions): ReceivedMessage[] {
    const received = this.queue.receive(options, this.clock());
    this.changed();
    return received;
  }

  delete(receiptHandle: string): boolean {
    return this.queue.delete(receiptHandle, this.clock());
  }

  depth(): number {
    return this.queue.depth(this.clock());
  }

  /** Re-arms the wake-up timer and wakes the waiters if something is visible now. */
  changed(): void {
    if (this.closed) return;
    const now = this.clock();
    if (this.queue.hasVisible(now)) for (const wake of [...this.waiters]) wake();
    const next = this.queue.nextVisibleAt(now);
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer =
      next === undefined
        ? undefined
        : setTimeout(
            () => {
              this.timer = undefined;
              this.timerAt = undefined;
              this.changed();
            },
            Math.max(1, next - now),
          );
  }

  /**
   * Resolves when a message may have become visible, at `deadline` (epoch ms; undefined = no
   * deadline), when `signal` aborts, or when the runtime closes. Callers re-check by receiving.
   */
  waitForMessages(deadline: number | undefined, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      let timeout: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.waiters.delete(done);
        clearTimeout(timeout);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      if (deadline !== undefined) timeout = setTimeout(done, Math.max(0, deadline - this.clock()));
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Releases every waiter and the timer; later waits resolve at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const wake of [...this.waiters]) wake();
  }
}
