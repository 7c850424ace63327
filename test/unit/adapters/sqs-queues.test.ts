/**
 * The SQS adapters' edge paths: SendMessageBatch's partial failures (every entry SQS did not take
 * comes back to the caller, nothing else does), per-message delays held within SQS's 0-900 s,
 * and a grace timer that cannot be queued failing loudly.
 * Against the local SQS stand-in, which refuses an entry on its own as SQS does (here: a body with
 * U+FFFF, a character SQS does not allow) and refuses sends to a queue that does not exist.
 * Mocked (aws-sdk-client-mock) only where the stand-in cannot answer: one batch call failing
 * (throttled, cut off) while the others of the same send succeed.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { parseDeliveryRetry, parseFanOutTask, SqsDeliveryRetryQueue, SqsFanOutQueue } from '../../../lambdas/adapters/sqs-delivery-queues';
import { SqsGraceTimer } from '../../../lambdas/adapters/sqs-grace-timer';
import { SqsSweepQueue } from '../../../lambdas/adapters/sqs-sweep-queue';
import type { DeliveryRetry, FanOutTask } from '../../../lambdas/ports';
import { type SqsServer, startSqsServer } from '../../../local/queue/sqs-server';

const NOW = Date.UTC(2026, 11, 5, 1, 0, 0);
const change = { userId: '7', status: 'online' as const, lastSeen: null, changedAt: NOW, version: 3 };
const task = (after: string | null): FanOutTask => ({ cursors: [{ change, after }] });
const retryOf = (connectionId: string, delayMs: number): DeliveryRetry => ({
  connectionId,
  userId: '9',
  changes: [change],
  attempt: 1,
  delayMs,
});
/** A character SQS refuses in a message body (outside XML 1.0's), which JSON.stringify leaves as it is. */
const REFUSED = '\uFFFF';

let server: SqsServer;
let sqs: SQSClient;
let queueCount = 0;
const newQueue = () => server.createQueue(`edge-${(queueCount += 1)}`);

/** Every body visible in the queue now (delayed messages are not). */
const bodies = async (url: string): Promise<string[]> => {
  const found: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return found;
    found.push(...Messages.map((message) => message.Body ?? ''));
  }
};

beforeAll(async () => {
  server = await startSqsServer({ port: 0 });
  sqs = new SQSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

describe('entries SQS refuses within a batch', () => {
  it('fan-out: hands back exactly the tasks SQS refused, and queues all the others', async () => {
    const queue = newQueue();
    const tasks = Array.from({ length: 23 }, (_, n) => task(n === 4 || n === 17 ? `c${n}${REFUSED}` : `c${n}`));

    const unsent = await new SqsFanOutQueue(sqs, queue.url).enqueue(tasks);

    expect(unsent).toEqual([tasks[4], tasks[17]]);
    const queued = (await bodies(queue.url)).map((body) => parseFanOutTask(body)?.cursors[0].after).sort();
    expect(queued).toEqual(
      tasks
        .filter((_, n) => n !== 4 && n !== 17)
        .map((t) => t.cursors[0].after)
        .sort(),
    );
  });

  it('delivery retry: hands back exactly the retries SQS refused', async () => {
    const queue = newQueue();
    const retries = [retryOf('a', 0), retryOf(`b${REFUSED}`, 0), retryOf('c', 0)];

    const unsent = await new SqsDeliveryRetryQueue(sqs, queue.url).schedule(retries);

    expect(unsent).toEqual([retries[1]]);
    expect((await bodies(queue.url)).map((body) => parseDeliveryRetry(body)?.connectionId).sort()).toEqual(['a', 'c']);
  });
});

describe('per-message delays', () => {
  it('queues a retry due beyond 15 minutes at the longest delay SQS allows, rather than losing it', async () => {
    const queue = newQueue();

    const unsent = await new SqsDeliveryRetryQueue(sqs, queue.url).schedule([retryOf('late', 20 * 60_000), retryOf('now', 0)]);

    expect(unsent).toEqual([]);
    expect(server.depth(queue.name)).toBe(2);
    expect((await bodies(queue.url)).map((body) => parseDeliveryRetry(body)?.connectionId)).toEqual(['now']);
  });

  it('schedules a grace ending beyond 15 minutes at the longest delay, and one already over at once', async () => {
    const queue = newQueue();
    const timer = new SqsGraceTimer(sqs, queue.url, () => NOW);

    await timer.schedule('late', NOW + 20 * 60_000);
    await timer.schedule('over', NOW - 5_000);

    expect(server.depth(queue.name)).toBe(2);
    expect((await bodies(queue.url)).map((body) => JSON.parse(body))).toEqual([{ userId: 'over', at: NOW - 5_000 }]);
  });
});

describe('queues SQS refuses', () => {
  it('a grace that cannot be queued fails the call instead of being dropped without a word', async () => {
    const timer = new SqsGraceTimer(sqs, `${server.endpoint}/000000000000/no-such-queue`, () => NOW);

    await expect(timer.schedule('u1', NOW + 3_000)).rejects.toThrow();
  });
});

describe('a batch call that fails while the others succeed', () => {
  let client: SQSClient;
  let mock: AwsClientStub<SQSClient>;

  beforeEach(() => {
    client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    mock = mockClient(client);
  });

  afterEach(() => {
    mock.restore();
    client.destroy();
  });

  it('hands back that batch whole and nothing else', async () => {
    mock.on(SendMessageBatchCommand).callsFake((input) => {
      const shards = (input.Entries as { MessageBody: string }[]).map(
        (entry) => (JSON.parse(entry.MessageBody) as { shard: number }).shard,
      );
      if (shards.includes(12)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { Successful: input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id })), Failed: [] };
    });
    const shards = Array.from({ length: 25 }, (_, shard) => shard);

    const unsent = await new SqsSweepQueue(client, 'https://sqs.us-east-1.amazonaws.com/000000000000/sweep').enqueue(shards);

    expect([...unsent].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });
});
