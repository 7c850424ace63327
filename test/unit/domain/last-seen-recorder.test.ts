import { DatabaseUnavailableError } from '../../../lambdas/domain/errors';
import { LastSeenRecorder } from '../../../lambdas/domain/last-seen-recorder';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';
import type { LastSeen, LastSeenStore } from '../../../lambdas/ports';

/** A store that fails with `failures` in order, then records like Postgres: never backwards. */
class ScriptedStore implements LastSeenStore {
  readonly lastSeen = new Map<string, number>();
  readonly calls: LastSeen[][] = [];

  constructor(private readonly failures: Error[] = []) {}

  async recordLastSeen(entries: readonly LastSeen[]): Promise<number> {
    this.calls.push([...entries]);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    let moved = 0;
    for (const { userId, at } of entries) {
      if ((this.lastSeen.get(userId) ?? -Infinity) < at) {
        this.lastSeen.set(userId, at);
        moved += 1;
      }
    }
    return moved;
  }
}

const waits: number[] = [];
const recorderOver = (store: LastSeenStore) =>
  new LastSeenRecorder({
    store,
    policy: { attempts: 5, baseMs: 100, capMs: 1_000 },
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
  });

beforeEach(() => {
  waits.length = 0;
});

describe('recording offline moments', () => {
  it('writes one batch with the latest moment of each user', async () => {
    const store = new ScriptedStore();

    const report = await recorderOver(store).record([
      { userId: 'a', at: 100 },
      { userId: 'b', at: 200 },
      { userId: 'a', at: 300 },
      { userId: 'a', at: 150 },
    ]);

    expect(store.calls).toEqual([
      [
        { userId: 'a', at: 300 },
        { userId: 'b', at: 200 },
      ],
    ]);
    expect(report).toEqual({ received: 4, users: 2, written: 2, retries: 0, resumeWaits: 0 });
  });

  it('is harmless to replay, and never moves a moment backwards', async () => {
    const store = new ScriptedStore();
    const recorder = recorderOver(store);
    await recorder.record([{ userId: 'a', at: 300 }]);

    const replay = await recorder.record([{ userId: 'a', at: 300 }]);
    const older = await recorder.record([{ userId: 'a', at: 100 }]);

    expect(store.lastSeen.get('a')).toBe(300);
    expect([replay.written, older.written]).toEqual([0, 0]);
  });

  it('calls the database not at all for an empty batch', async () => {
    const store = new ScriptedStore();

    expect(await recorderOver(store).record([])).toEqual({ received: 0, users: 0, written: 0, retries: 0, resumeWaits: 0 });
    expect(store.calls).toEqual([]);
  });
});

describe('while the database does not answer', () => {
  it('waits and tries again until it does, losing nothing, and counts the retries and resume waits', async () => {
    const store = new ScriptedStore([
      new DatabaseUnavailableError(true),
      new DatabaseUnavailableError(true),
      new DatabaseUnavailableError(false),
    ]);

    const report = await recorderOver(store).record([{ userId: 'a', at: 300 }]);

    expect(store.lastSeen.get('a')).toBe(300);
    expect(report).toMatchObject({ written: 1, retries: 3, resumeWaits: 2 });
    expect(waits).toEqual([50, 100, 200]);
  });

  it('fails the batch after its attempts, so the stream keeps the records and delivers them again', async () => {
    const store = new ScriptedStore(Array.from({ length: 5 }, () => new DatabaseUnavailableError(false)));

    await expect(recorderOver(store).record([{ userId: 'a', at: 300 }])).rejects.toThrow(RetriesExhaustedError);
    expect(store.calls).toHaveLength(5);
    expect(store.lastSeen.size).toBe(0);
  });

  it('does not retry a failure that is not an unavailable database', async () => {
    const store = new ScriptedStore([new Error('DatabaseErrorException: syntax error')]);

    await expect(recorderOver(store).record([{ userId: 'a', at: 300 }])).rejects.toThrow('syntax error');
    expect(store.calls).toHaveLength(1);
  });
});
