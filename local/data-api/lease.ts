/**
 * PGlite is one Postgres session. The Data API runs each call on a pooled connection and each
 * transaction on its own, so here the session is leased: to one autocommit call at a time, or to
 * one open transaction from BeginTransaction until it ends (TXN-01). Waiters are served in order.
 */
import { statementTimeout } from './errors';

export type Holder = { readonly kind: 'call' } | { readonly kind: 'transaction'; readonly id: string } | { readonly kind: 'shutdown' };

interface Waiter {
  readonly holder: Holder;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

export class SessionLease {
  private current: Holder | null = null;
  private readonly waiters: Waiter[] = [];

  /**
   * @param waitOnTransactionMs how long a call may wait while a transaction holds the session. Waiting
   *   behind autocommit calls does not count: they always finish on their own.
   */
  constructor(private readonly waitOnTransactionMs: number) {}

  get holder(): Holder | null {
    return this.current;
  }

  /** Resolves when `holder` owns the session. */
  acquire(holder: Holder): Promise<void> {
    if (this.current === null && this.waiters.length === 0) {
      this.current = holder;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { holder, resolve, reject };
      if (holder.kind !== 'shutdown') this.watch(waiter);
      this.waiters.push(waiter);
    });
  }

  /** Hands the session to the next waiter. */
  release(): void {
    this.current = null;
    const next = this.waiters.shift();
    if (next === undefined) return;
    clearTimeout(next.timer);
    this.current = next.holder;
    next.resolve();
  }

  /**
   * Divergence from AWS, where an autocommit call never waits on another caller's open transaction:
   * here it must, and a handler that holds a transaction while making a call without its id would
   * wait forever. Such waits fail with a message that names the cause.
   */
  private watch(waiter: Waiter): void {
    waiter.timer = setTimeout(() => {
      const holder = this.current;
      if (holder?.kind !== 'transaction') {
        this.watch(waiter);
        return;
      }
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.reject(
        statementTimeout(
          `Local Data API: this call waited ${this.waitOnTransactionMs} ms for transaction ${holder.id} to end. ` +
            'The local database is a single session, so calls without a transactionId run only between transactions; ' +
            'a handler that opens a transaction and then makes a call without its transactionId blocks itself here.',
        ),
      );
    }, this.waitOnTransactionMs);
  }
}
