/**
 * The mapping core shared by the stream and the queue, over a scripted source: how it gathers,
 * invokes, reports outcomes, limits concurrency and stops.
 */
import { type BatchOutcome, type BatchSource, EventSourceMapping } from '../../../local/lambda/event-source-mapping';
import type { LambdaHandler } from '../../../local/lambda/invoke';
import { eventually } from '../../helpers/eventually';

interface Item {
  readonly id: string;
}

/** A source holding `ids`, handing out at most `perReceive` per call, recording every settle. */
const scripted = (ids: string[], perReceive = 3) => {
  const waiting = ids.map((id) => ({ id }));
  const settled: { ids: string[]; outcome: BatchOutcome }[] = [];
  const source: BatchSource<Item> = {
    receive: (max) => waiting.splice(0, Math.min(max, perReceive)),
    waitForRecords: (_deadline, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, 5);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      }),
    ended: () => false,
    id: (item) => item.id,
    size: () => 1,
    event: (batch) => ({ Records: batch }),
    settle: async (batch, outcome) => {
      settled.push({ ids: batch.map((item) => item.id), outcome });
    },
  };
  return { source, settled, add: (id: string) => waiting.push({ id }) };
};

const mappings: EventSourceMapping[] = [];
const mapping = (handler: LambdaHandler, batchSize: number, reportBatchItemFailures = false): EventSourceMapping => {
  const started = new EventSourceMapping(
    { name: 'consumer', handler, timeoutSeconds: 5, memoryMb: 128 },
    { batchSize, maximumBatchingWindowMs: 0, reportBatchItemFailures },
    () => undefined,
  );
  mappings.push(started);
  return started;
};

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((started) => started.stop()));
});

describe('EventSourceMapping', () => {
  it('gathers over several receives up to the batch size, then invokes once per batch', async () => {
    // Prepare
    const { source, settled } = scripted(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const batches: string[][] = [];

    // Act
    mapping(async (event) => {
      batches.push((event as { Records: Item[] }).Records.map((item) => item.id));
    }, 5).addLane(source, 1);
    await eventually(() => settled.length === 2);

    // Assess
    expect(batches).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['f', 'g'],
    ]);
    expect(settled.map(({ outcome }) => outcome.kind)).toEqual(['success', 'success']);
  });

  it('hands the source a partial outcome naming the reported records, and a function error as a failure', async () => {
    // Prepare
    const { source, settled } = scripted(['a', 'b', 'c']);
    let call = 0;

    // Act
    mapping(
      async () => {
        call += 1;
        if (call === 1) return { batchItemFailures: [{ itemIdentifier: 'b' }] };
        throw new Error('boom');
      },
      2,
      true,
    ).addLane(source, 1);
    await eventually(() => settled.length === 2);

    // Assess
    expect(settled).toEqual([
      { ids: ['a', 'b'], outcome: { kind: 'partial', failedIds: ['b'] } },
      { ids: ['c'], outcome: { kind: 'failure', reason: 'function error: boom', functionError: true } },
    ]);
  });

  it("keeps at most the lane's concurrency of batches in flight", async () => {
    // Prepare
    const { source, settled } = scripted(['a', 'b', 'c', 'd', 'e', 'f']);
    let running = 0;
    let mostAtOnce = 0;

    // Act
    mapping(async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running -= 1;
    }, 1).addLane(source, 2);
    await eventually(() => settled.length === 6);

    // Assess
    expect(mostAtOnce).toBe(2);
  });

  it('stops once the batch in flight and its settle are done, and gathers nothing after', async () => {
    // Prepare
    const { source, settled, add } = scripted(['a']);
    let release: (() => void) | undefined;
    const started = mapping(
      () =>
        new Promise((resolve) => {
          release = () => resolve(undefined);
        }),
      1,
    );
    void started.addLane(source, 1);
    await eventually(() => release !== undefined);

    // Act
    const stopping = started.stop();
    add('b');
    release?.();
    await stopping;

    // Assess
    expect(settled.map(({ ids }) => ids)).toEqual([['a']]);
  });
});
