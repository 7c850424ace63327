/**
 * The local SQS emulation driven by the real `SQSClient` (AWS JSON 1.0 over HTTP, endpoint
 * override) and consumed through event source mappings with capturing handlers.
 */
import { createHash } from 'node:crypto';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FunctionConfig, LambdaHandler } from '../../../local/lambda/invoke';
import { type LocalQueue, type SqsServer, startSqsServer } from '../../../local/queue/sqs-server';

interface Invocation {
  readonly at: number;
  readonly event: SQSEvent;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const fn = (name: string, handler: LambdaHandler): FunctionConfig => ({ name, handler, timeoutSeconds: 1, memoryMb: 128 });

/** A consumer that records every invocation and answers with `respond(invocation number)`. */
const recorder = (name: string, respond: (call: number, event: SQSEvent) => unknown) => {
  const invocations: Invocation[] = [];
  const config = fn(name, async (event) => {
    invocations.push({ at: Date.now(), event: event as SQSEvent });
    const result = respond(invocations.length, event as SQSEvent);
    if (result instanceof Error) throw result;
    return result;
  });
  return { invocations, config };
};

const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

let server: SqsServer;
let sqs: SQSClient;
const queues: Record<string, LocalQueue> = {};

const delayed = recorder('delayed-consumer', () => undefined);
const flaky = recorder('flaky-consumer', (call) => (call === 1 ? new Error('first attempt fails') : undefined));
const partial = recorder(
  'partial-consumer',
  (_call, event): SQSBatchResponse => ({
    batchItemFailures: event.Records.filter((record) => record.body === 'fail' && record.attributes.ApproximateReceiveCount === '1').map(
      (record) => ({
        itemIdentifier: record.messageId,
      }),
    ),
  }),
);
const doomed = recorder('doomed-consumer', () => new Error('always fails'));
const windowed = recorder('windowed-consumer', () => undefined);

/** A consumer that takes `ms` per batch and remembers how many batches it ever ran at once. */
const slow = (name: string, ms: number) => {
  let running = 0;
  const seen = { handled: 0, mostAtOnce: 0 };
  const config = fn(name, async (event) => {
    running += 1;
    seen.mostAtOnce = Math.max(seen.mostAtOnce, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running -= 1;
    seen.handled += (event as SQSEvent).Records.length;
  });
  return { seen, config };
};
const capped = slow('capped-consumer', 300);
const uncapped = slow('uncapped-consumer', 300);

beforeAll(async () => {
  server = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  queues.delayed = server.createQueue('delayed');
  queues.flaky = server.createQueue('flaky', { visibilityTimeoutSeconds: 1 });
  queues.partial = server.createQueue('partial', { visibilityTimeoutSeconds: 1 });
  queues.doomedDlq = server.createQueue('doomed-dlq');
  queues.doomed = server.createQueue('doomed', { visibilityTimeoutSeconds: 1, maxReceiveCount: 2, deadLetterQueue: 'doomed-dlq' });
  queues.plain = server.createQueue('plain');
  queues.windowed = server.createQueue('windowed');
  queues.receiving = server.createQueue('receiving');
  server.addEventSource('delayed', delayed.config);
  server.addEventSource('flaky', flaky.config);
  server.addEventSource('partial', partial.config, { reportBatchItemFailures: true });
  server.addEventSource('doomed', doomed.config);
  server.addEventSource('windowed', windowed.config, { maximumBatchingWindowMs: 400 });
  queues.capped = server.createQueue('capped');
  queues.uncapped = server.createQueue('uncapped');
  server.addEventSource('capped', capped.config, { batchSize: 1, maxConcurrency: 2 });
  server.addEventSource('uncapped', uncapped.config, { batchSize: 1 });
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

describe('SendMessage with DelaySeconds through an event source mapping', () => {
  it('invokes the consumer after the delay with the Lambda SQS event shape', async () => {
    const body = JSON.stringify({ connectionId: 'abc', kind: 'grace' });
    const before = Date.now();

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queues.delayed.url, MessageBody: body, DelaySeconds: 1 }));
    const after = Date.now();
    await waitFor(() => delayed.invocations.length > 0, 3_000);

    const { at, event } = delayed.invocations[0];
    expect(at - before).toBeGreaterThanOrEqual(1_000);
    expect(at - after).toBeLessThan(1_500);
    expect(event.Records).toHaveLength(1);
    const record = event.Records[0];
    expect(Object.keys(record).sort()).toEqual(
      [
        'attributes',
        'awsRegion',
        'body',
        'eventSource',
        'eventSourceARN',
        'md5OfBody',
        'messageAttributes',
        'messageId',
        'receiptHandle',
      ].sort(),
    );
    expect(record).toMatchObject({
      messageId: sent.MessageId,
      body,
      md5OfBody: md5(body),
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:delayed',
      awsRegion: 'us-east-1',
    });
    expect(typeof record.receiptHandle).toBe('string');
    expect(record.receiptHandle.length).toBeGreaterThan(0);
    expect(Object.keys(record.attributes).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'SenderId',
      'SentTimestamp',
    ]);
    expect(Object.values(record.attributes).every((value) => typeof value === 'string')).toBe(true);
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    const sentAt = Number(record.attributes.SentTimestamp);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(after);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(sentAt + 1_000);
    await waitFor(() => server.depth('delayed') === 0, 1_000);
  });

  it('answers with the MD5 of the UTF-8 body, which the SDK verifies', async () => {
    const body = 'grace ⏳ für José — 👋';

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queues.plain.url, MessageBody: body }));

    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('batching', () => {
  it('gathers messages sent apart into one invocation within the batching window', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.windowed.url, MessageBody: 'first' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl: queues.windowed.url, MessageBody: 'second' }));

    await waitFor(() => server.depth('windowed') === 0, 2_000);

    expect(windowed.invocations.map((invocation) => invocation.event.Records.map((record) => record.body))).toEqual([['first', 'second']]);
  });
});

describe('concurrency', () => {
  const sendTen = (queue: LocalQueue) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `m${i}` })),
      }),
    );

  it('runs at most MaximumConcurrency batches at once', async () => {
    await sendTen(queues.capped);

    await waitFor(() => capped.seen.handled === 10, 5_000);

    expect(capped.seen.mostAtOnce).toBe(2);
  });

  it("runs five batches at once without MaximumConcurrency, as Lambda's first pollers do", async () => {
    await sendTen(queues.uncapped);

    await waitFor(() => uncapped.seen.handled === 10, 5_000);

    expect(uncapped.seen.mostAtOnce).toBe(5);
  });
});

describe('function errors and redelivery', () => {
  it('redelivers a failed batch after the visibility timeout with ApproximateReceiveCount 2', async () => {
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queues.flaky.url, MessageBody: 'retry me' }));

    await waitFor(() => flaky.invocations.length >= 2, 3_000);

    const [first, second] = flaky.invocations;
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(second.event.Records.map((record) => [record.messageId, record.attributes.ApproximateReceiveCount])).toEqual([
      [sent.MessageId, '2'],
    ]);
    expect(second.event.Records[0].receiptHandle).not.toBe(first.event.Records[0].receiptHandle);
    await waitFor(() => server.depth('flaky') === 0, 1_000);
  });

  it('deletes the successes of a partial batch failure and redelivers only the reported message', async () => {
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.partial.url,
        Entries: [
          { Id: 'ok', MessageBody: 'ok' },
          { Id: 'fail', MessageBody: 'fail' },
        ],
      }),
    );
    expect(sent.Successful?.map((entry) => entry.MD5OfMessageBody)).toEqual([md5('ok'), md5('fail')]);

    await waitFor(() => partial.invocations.length >= 2, 3_000);

    expect(partial.invocations[0].event.Records.map((record) => record.body).sort()).toEqual(['fail', 'ok']);
    expect(partial.invocations[1].event.Records.map((record) => [record.body, record.attributes.ApproximateReceiveCount])).toEqual([
      ['fail', '2'],
    ]);
    await waitFor(() => server.depth('partial') === 0, 1_000);
    expect(partial.invocations).toHaveLength(2);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queues.doomed.url, MessageBody: 'poison' }));

    await waitFor(() => server.depth('doomed-dlq') === 1, 4_000);

    expect(server.depth('doomed')).toBe(0);
    expect(doomed.invocations.map((invocation) => invocation.event.Records[0].attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.doomedDlq.url }));
    expect(received.Messages?.map((message) => [message.MessageId, message.Body])).toEqual([[sent.MessageId, 'poison']]);
  });
});

describe('the queue API the adapters and tests use', () => {
  it('hands a received message to no other receive while it is in flight', async () => {
    const QueueUrl = queues.receiving.url;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'two' }));

    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    const rest = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const none = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));

    expect(first.Messages?.map((message) => message.Body)).toEqual(['one']);
    expect(rest.Messages?.map((message) => message.Body)).toEqual(['two']);
    expect(none.Messages).toBeUndefined();
    expect(server.depth('receiving')).toBe(2);
  });

  it('answers a long poll as soon as a message arrives', async () => {
    const started = Date.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.doomedDlq.url, WaitTimeSeconds: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 200));

    await sqs.send(new SendMessageCommand({ QueueUrl: queues.doomedDlq.url, MessageBody: 'late' }));
    const received = await polling;

    expect(received.Messages?.map((message) => message.Body)).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects an unknown queue with QueueDoesNotExist', async () => {
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/nope`, MessageBody: 'x' }))).rejects.toThrow(
      expect.objectContaining({ name: 'QueueDoesNotExist' }),
    );
  });

  it('rejects DelaySeconds above 900 with InvalidParameterValue and stores nothing', async () => {
    const depth = server.depth('plain');

    await expect(sqs.send(new SendMessageCommand({ QueueUrl: queues.plain.url, MessageBody: 'x', DelaySeconds: 901 }))).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
    expect(server.depth('plain')).toBe(depth);
  });

  it('fails an invalid batch entry on its own and sends the others', async () => {
    const depth = server.depth('plain');

    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.plain.url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine' },
          { Id: 'late', MessageBody: 'too late', DelaySeconds: 901 },
        ],
      }),
    );

    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
    expect(sent.Failed).toEqual([expect.objectContaining({ Id: 'late', SenderFault: true, Code: 'InvalidParameterValue' })]);
    expect(server.depth('plain')).toBe(depth + 1);
  });

  it('answers an operation it does not emulate with UnsupportedOperation', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'plain' }))).rejects.toThrow(
      expect.objectContaining({ name: 'UnsupportedOperation' }),
    );
  });
});
