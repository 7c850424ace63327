/**
 * Each posting handler paces its posts at its own lane's share of the posting budget: the stream
 * notifier at `notify`, the fan-out consumer at `fanOut`, the retry consumer at `deliveryRetry`.
 * Every lane gets a distinct pace here, so a handler that asked for another lane's notifier would
 * build one with that lane's page size and rate. The Notifier is the real class; it only records
 * what it was built with, and runs each batch with no input so that nothing leaves the process.
 */
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { ENV } from '../../../lambdas/shared/environment';
import { lambdaContext } from '../../helpers/lambda-context';

const mockBuilt: { pageSize: number; ratePerSecond: number; burst: number }[] = [];

jest.mock('../../../lambdas/domain/notifier', () => {
  const actual = jest.requireActual('../../../lambdas/domain/notifier');
  class RecordingNotifier extends actual.Notifier {
    constructor(options: { pageSize: number; pace: () => { options?: { ratePerSecond: number; burst: number } } }) {
      super(options);
      // A TokenBucket keeps its options; the pace is what one invocation of this notifier posts at.
      const bucket = options.pace() as unknown as { options: { ratePerSecond: number; burst: number } };
      mockBuilt.push({ pageSize: options.pageSize, ratePerSecond: bucket.options.ratePerSecond, burst: bucket.options.burst });
    }
    notify() {
      return super.notify([]);
    }
    fanOut() {
      return super.fanOut([]);
    }
    retry() {
      return super.retry([]);
    }
  }
  return { ...actual, Notifier: RecordingNotifier };
});

const PACES = {
  notify: { postsPerSecond: 60, burst: 70 },
  fanOut: { postsPerSecond: 400, burst: 200 },
  deliveryRetry: { postsPerSecond: 30, burst: 5 },
};

const ENVIRONMENT = {
  [ENV.postingPaces]: JSON.stringify(PACES),
  [ENV.presenceTable]: 'presence',
  [ENV.connectionsEndpoint]: 'http://127.0.0.1:9/live',
  [ENV.fanOutQueueUrl]: 'http://127.0.0.1:9/000000000000/fan-out',
  [ENV.deliveryRetryQueueUrl]: 'http://127.0.0.1:9/000000000000/delivery-retry',
};

const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [name, value] of Object.entries(ENVIRONMENT)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
beforeEach(() => {
  mockBuilt.length = 0;
});

const streamEvent: DynamoDBStreamEvent = {
  Records: [
    {
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: '1',
        NewImage: {
          userId: { S: '7' },
          version: { N: '2' },
          change: { M: { status: { S: 'online' }, changedAt: { N: '1700000000000' } } },
        },
      },
    },
  ],
};
const noMessages: SQSEvent = { Records: [] };

/** Loads one handler in a fresh module registry (one execution environment) and runs it once. */
const run = async (file: string, event: unknown) => {
  let handler: ((event: unknown, context: unknown) => Promise<unknown>) | undefined;
  jest.isolateModules(() => {
    handler = require(`../../../lambdas/handlers/events/${file}`).handler;
  });
  await handler?.(event, lambdaContext({ functionName: file }));
  return mockBuilt;
};

describe("each posting handler paces at its own lane's share", () => {
  it('the stream notifier posts at the notify lane: page 130 (burst 70 + 60/s)', async () => {
    expect(await run('notify', streamEvent)).toEqual([{ pageSize: 130, ratePerSecond: 60, burst: 70 }]);
  });

  it('the fan-out consumer posts at the fanOut lane: page 600 (burst 200 + 400/s)', async () => {
    expect(await run('fan-out', noMessages)).toEqual([{ pageSize: 600, ratePerSecond: 400, burst: 200 }]);
  });

  it('the retry consumer posts at the deliveryRetry lane (its page is the least, 100)', async () => {
    expect(await run('delivery-retry', noMessages)).toEqual([{ pageSize: 100, ratePerSecond: 30, burst: 5 }]);
  });
});
