/**
 * The sweep queue adapter over the local SQS emulation: the planner's one message per shard, read
 * back as the worker parses it; and a queue SQS refuses leaves every shard reported not queued.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseSweepTask, SqsSweepQueue } from '../../../lambdas/adapters/sqs-sweep-queue';
import { type SqsServer, startSqsServer } from '../../../local/queue/sqs-server';

let server: SqsServer;
let sqs: SQSClient;

beforeAll(async () => {
  server = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

it('queues one message per shard, each naming its shard', async () => {
  const queue = server.createQueue('sweep-all');
  const shards = Array.from({ length: 13 }, (_, shard) => shard);

  const notQueued = await new SqsSweepQueue(sqs, queue.url).enqueue(shards);

  const bodies: string[] = [];
  while (bodies.length < shards.length) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) break;
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
  expect(notQueued).toEqual([]);
  expect(bodies.map((body) => parseSweepTask(body, shards.length)).sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual(shards);
});

it('reports every shard not queued when SQS refuses the sends', async () => {
  const notQueued = await new SqsSweepQueue(sqs, `${server.endpoint}/000000000000/no-such-queue`).enqueue([0, 1, 2]);
  expect([...notQueued].sort()).toEqual([0, 1, 2]);
});
