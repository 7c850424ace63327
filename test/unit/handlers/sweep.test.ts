/**
 * The sweep fan-out: the scheduled planner queues one message per shard; each message's worker
 * sweeps that shard alone until its own deadline. The stores behind them are stand-ins here (the
 * sweep itself is proven in test/unit/domain/sweeper.test.ts and over DynamoDB Local in
 * test/integration/adapters/dynamodb-sweep.test.ts).
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mergeReports, type SweepReport } from '../../../lambdas/domain/sweeper';

const enqueue = jest.fn();
const sweepShard = jest.fn();
const count = jest.fn();
const sample = jest.fn();
jest.mock('../../../lambdas/shared/dependencies/sweep-queue', () => ({ sweepQueue: () => ({ enqueue }) }));
jest.mock('../../../lambdas/shared/dependencies/sweeper', () => ({ sweeper: () => ({ sweepShard }) }));
jest.mock('../../../lambdas/shared/metrics', () => ({ ...jest.requireActual('../../../lambdas/shared/metrics'), count, sample }));

import { handler as plan } from '../../../lambdas/handlers/events/sweep';
import { handler as sweepShardHandler } from '../../../lambdas/handlers/events/sweep-shard';
import { ENV } from '../../../lib/app-manifest';
import { lambdaContext } from '../../helpers/lambda-context';

const counted = (name: string) => count.mock.calls.filter(([metric]) => metric === name).reduce((sum, [, value]) => sum + (value ?? 1), 0);
const message = (body: string, messageId = 'm1') => ({ messageId, body }) as SQSRecord;
const report = (counts: Partial<SweepReport> = {}): SweepReport => ({ ...mergeReports([]), ...counts });

afterAll(() => {
  delete process.env[ENV.sweepShards];
});

beforeEach(() => {
  process.env[ENV.sweepShards] = '4';
  enqueue.mockReset().mockResolvedValue([]);
  sweepShard.mockReset().mockResolvedValue(report());
  count.mockReset();
  sample.mockReset();
});

describe('the sweep planner (the schedule)', () => {
  it('queues one message per shard and sweeps nothing itself', async () => {
    await plan({}, lambdaContext({ remainingMs: 30_000 }));
    expect(enqueue).toHaveBeenCalledTimes(1);
    expect(enqueue.mock.calls[0][0]).toEqual([0, 1, 2, 3]);
    expect(sweepShard).not.toHaveBeenCalled();
  });

  it('counts and logs the shards it could not queue, and queues the others', async () => {
    enqueue.mockResolvedValue([2]);
    const result = await plan({}, lambdaContext({ remainingMs: 30_000 }));
    expect(result).toEqual({ queued: 3, notQueued: [2] });
    expect(counted('SweepShardsNotQueued')).toBe(1);
  });
});

describe('the sweep worker (one shard per message)', () => {
  it('sweeps only the shard its message names, until its own deadline less a margin', async () => {
    sweepShard.mockResolvedValue(report({ usersChecked: 5, usersFailed: 1, connectionsClosed: 3, backlogAgeMs: 70_000 }));
    const before = Date.now();
    const result = await sweepShardHandler({ Records: [message('{"shard":3}')] } as SQSEvent, lambdaContext({ remainingMs: 55_000 }));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sweepShard).toHaveBeenCalledTimes(1);
    const [shard, { deadline }] = sweepShard.mock.calls[0];
    expect(shard).toBe(3);
    expect(deadline).toBeGreaterThanOrEqual(before + 55_000 - 15_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 55_000 - 5_000);
    expect(counted('SweepUsersSettled')).toBe(4);
    expect(counted('SweepUsersFailed')).toBe(1);
    expect(counted('SweepConnectionsClosed')).toBe(3);
    expect(sample).toHaveBeenCalledWith('SweepBacklogAge', 70_000);
  });

  it('hands back a message whose shard failed (its watermark stays), to be swept again', async () => {
    sweepShard.mockResolvedValue(report({ shardsFailed: 1 }));
    const result = await sweepShardHandler(
      { Records: [message('{"shard":1}', 'failing')] } as SQSEvent,
      lambdaContext({ remainingMs: 55_000 }),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'failing' }] });
    expect(counted('SweepShardsFailed')).toBe(1);
  });

  it.each(['not json', '{"shard":-1}', '{"shard":4}', '{"shard":1.5}', '{}'])(
    'leaves a malformed message %s for the dead-letter queue, sweeping nothing',
    async (body) => {
      const result = await sweepShardHandler({ Records: [message(body, 'bad')] } as SQSEvent, lambdaContext({ remainingMs: 55_000 }));
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
      expect(sweepShard).not.toHaveBeenCalled();
    },
  );
});
