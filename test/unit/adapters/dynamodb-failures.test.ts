/**
 * DynamoDB adapters when a call fails for a reason other than their condition: a throttled table
 * (or any other failure) reaches the caller as it is, never taken for a refused condition (an
 * attempt over the limit, a watermark already further, a lost version race), and a step that
 * failed leaves the steps after it undone.
 * Mocked (aws-sdk-client-mock): DynamoDB Local never throttles. The conditions themselves are
 * proven against DynamoDB Local in test/integration/adapters/ (attempt counter, sweep, presence).
 */
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbAttemptCounter } from '../../../lambdas/adapters/dynamodb-attempt-counter';
import { connectionKey, DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbSweepIndex } from '../../../lambdas/adapters/dynamodb-sweep-index';

const TABLE = 'presence';
const NOW = Date.UTC(2026, 11, 5, 1, 0, 0);
const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
);
const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded',
    $metadata: {},
  });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => ddb.reset());

afterAll(() => doc.destroy());

describe('the attempt counter', () => {
  const counter = new DynamoDbAttemptCounter(doc, TABLE, { prefix: 'login', windowMs: 60_000, clock: () => NOW });

  it('fails a take on a throttled table instead of answering "too many attempts"', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(counter.take('203.0.113.7', 5)).rejects.toThrow(ProvisionedThroughputExceededException);
  });

  it('fails a give-back on a throttled table (the attempt stays counted); a give-back with nothing left to uncount is quiet', async () => {
    ddb.on(UpdateCommand).resolvesOnce({}).rejectsOnce(throttled()).rejectsOnce(conditionFailed());
    const taken = await counter.take('203.0.113.7', 5);
    if (!taken.allowed) throw new Error('the first attempt should be allowed');

    await expect(taken.giveBack()).rejects.toThrow(ProvisionedThroughputExceededException);
    await expect(taken.giveBack()).resolves.toBeUndefined();
  });
});

describe('the sweep watermark', () => {
  const index = new DynamoDbSweepIndex(doc, TABLE);

  it('fails when the table is throttled, so the bucket is swept again, and is quiet when another sweep went further', async () => {
    ddb.on(PutCommand).rejectsOnce(throttled()).rejectsOnce(conditionFailed());

    await expect(index.advance(3, 1_000)).rejects.toThrow(ProvisionedThroughputExceededException);
    await expect(index.advance(3, 1_000)).resolves.toBeUndefined();
  });
});

describe('the connection registry', () => {
  const registry = new DynamoDbConnectionRegistry(doc, TABLE, () => NOW);
  const connection = { ...connectionKey('c1'), userId: 'u1', connectedAt: NOW, subs: new Set(['u2']), version: 3, ttl: 0 };

  beforeEach(() => {
    ddb.on(GetCommand).resolves({ Item: connection });
  });

  it('fails a subscribe whose list update is throttled at once, not as a version race to run again', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(registry.subscribe('c1', ['u3'], 1000)).rejects.toThrow(ProvisionedThroughputExceededException);

    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('leaves the watch list as it was when the watches of an unsubscribe could not be deleted', async () => {
    ddb.on(BatchWriteCommand).rejects(throttled());

    await expect(registry.unsubscribe('c1', ['u2'])).rejects.toThrow(ProvisionedThroughputExceededException);

    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('leaves the watch list as it was when the watches of a subscribe could not be written', async () => {
    ddb.on(BatchWriteCommand).rejects(throttled());

    await expect(registry.subscribe('c1', ['u3'], 1000)).rejects.toThrow(ProvisionedThroughputExceededException);

    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
