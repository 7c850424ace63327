/**
 * The subscribe/notify handshake (review H3). Subscribe writes the watch `W#X/…#c`, then reads X's
 * presence; a change of X is written, then the notifier lists X's watchers. When both reads are
 * eventually consistent, each can miss the other's write: the notifier does not see c's watch and
 * the snapshot still shows X's old status, so c shows a stale status and no event ever corrects it.
 * DynamoDB Local is always consistent and cannot show this, so these tests model a replica one
 * write behind with aws-sdk-client-mock: an eventually consistent read answers the old data, a
 * strongly consistent one the newest.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbConnectionRegistry, watchKey } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStore, userKey } from '../../../lambdas/adapters/dynamodb-presence-store';
import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import type { ConnectionRegistry, UserRecord } from '../../../lambdas/ports';

const TABLE = 'presence';
const policy = policyFromSeconds(150, 3);
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);
const X: UserRecord = { id: '42', name: 'x', createdAt: NOW - 86_400_000, lastSeen: null };

const presenceItem = (announced: 'online' | 'offline', version: number) => ({
  ...userKey(X.id),
  userId: X.id,
  version,
  manual: 'online',
  announced,
  changedAt: NOW - 1_000 + version,
  ...(announced === 'online'
    ? { leases: { c0: { kind: 'ws', renewedAt: NOW - 1_000, expiresAt: NOW + 149_000 } } }
    : { lastSeen: NOW - 1_000 }),
});

const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
);

beforeEach(() => {
  ddb.reset();
  // X was online (stale replica) and has just gone offline (the newest write).
  ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
    const consistent = input.RequestItems?.[TABLE]?.ConsistentRead === true;
    return { Responses: { [TABLE]: [presenceItem(consistent ? 'offline' : 'online', consistent ? 2 : 1)] } };
  });
  // Connection c has just written its watch of X; the lagging replica does not have it yet.
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
    Items: input.ConsistentRead === true ? [{ sk: watchKey(X.id, 'c', NOW / 1000 + 7_200).sk, watcher: 'w' }] : [],
  }));
});

afterAll(() => doc.destroy());

const presenceService = () =>
  new PresenceService({
    store: new DynamoDbPresenceStore(doc, TABLE, { policy, sweepShards: 4, sweepBucketMs: 60_000 }),
    policy,
    clock: () => NOW,
  });

describe('reads on either side of the subscribe/notify handshake', () => {
  it("gives a subscriber the newest presence, not a lagging replica's", async () => {
    const registry = { subscribe: async () => undefined } as unknown as ConnectionRegistry;
    const service = new ConnectionService({
      presence: presenceService(),
      store: { peekLease: async () => null },
      registry,
      directory: { findMany: async () => [X] },
      graceTimer: { schedule: async () => undefined },
      clock: () => NOW,
    });

    const { presences } = await service.subscribe('c', [X.id]);

    expect(presences).toEqual([{ userId: X.id, status: 'offline', lastSeen: NOW - 1_000 }]);
  });

  it('lists to the notifier a watch written just before the change', async () => {
    const registry = new DynamoDbConnectionRegistry(doc, TABLE, () => NOW);

    const pages: string[] = [];
    for await (const page of registry.watchers(X.id)) pages.push(...page.map((watcher) => watcher.connectionId));

    expect(pages).toEqual(['c']);
  });

  it('keeps eventually consistent reads (half the read units) for HTTP presence reads', async () => {
    await presenceService().views([X]);

    expect(ddb.commandCalls(BatchGetCommand)[0].args[0].input.RequestItems?.[TABLE]?.ConsistentRead).not.toBe(true);
  });
});
