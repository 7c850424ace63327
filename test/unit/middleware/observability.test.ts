/**
 * Correlated logs and per-invocation metrics: a WebSocket frame goes through the real middy stack
 * of the message routes (lambdas/handlers/ws/route.ts) and the log line it causes is captured from
 * stdout/stderr, where Lambda (and CloudWatch Logs) read it.
 */
import { lambdaContext } from '../../helpers/lambda-context';

const lines: Record<string, unknown>[] = [];
const capture = (chunk: unknown): boolean => {
  for (const line of String(chunk).split('\n')) {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  return true;
};

let messageRoute: typeof import('../../../lambdas/handlers/ws/route').messageRoute;
let logger: typeof import('../../../lambdas/shared/logger').logger;
/** Imported where used, so the first test also runs against code that has no such module. */
const observedHandler = async () => (await import('../../../lambdas/middleware/observability')).observed;

beforeAll(async () => {
  // Loggers and metrics read their configuration once, when their module loads (as at a cold start).
  process.env.LOG_LEVEL = 'info';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  ({ messageRoute } = await import('../../../lambdas/handlers/ws/route'));
  ({ logger } = await import('../../../lambdas/shared/logger'));
});

beforeEach(() => {
  lines.length = 0;
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => jest.restoreAllMocks());

const context = (awsRequestId: string) => lambdaContext({ awsRequestId, functionName: 'wsSubscribe' });

const frameEvent = (requestId: string, connectionId: string, userId: string) => ({
  requestContext: { requestId, connectionId, routeKey: 'subscribe', eventType: 'MESSAGE' as const, connectedAt: 0, authorizer: { userId } },
  body: JSON.stringify({ action: 'subscribe', requestId: 'r-1', userIds: ['2'] }),
  isBase64Encoded: false,
});

const failingRoute = () =>
  messageRoute(
    async () => {
      throw new Error('DynamoDB is down');
    },
    () => ({ touch: async () => Date.now() + 150_000 }),
  );

describe('log lines of a WebSocket frame', () => {
  it('carry the Lambda request id, the API Gateway request id, the connection, the user and the route', async () => {
    const result = await failingRoute()(frameEvent('apigw-req-1', 'conn-1=', 'user-7'), context('lambda-req-1'));

    expect(JSON.parse(result.body ?? '')).toMatchObject({ type: 'error', code: 'internal', requestId: 'r-1' });
    const line = lines.find((entry) => entry.message === 'unhandled error');
    expect(line).toMatchObject({
      level: 'ERROR',
      function_request_id: 'lambda-req-1',
      function_name: 'wsSubscribe',
      requestId: 'apigw-req-1',
      connectionId: 'conn-1=',
      userId: 'user-7',
      route: 'subscribe',
    });
  });

  it('do not carry the previous invocation’s keys', async () => {
    const route = failingRoute();
    await route(frameEvent('apigw-req-1', 'conn-1=', 'user-7'), context('lambda-req-1'));
    lines.length = 0;
    const plain = (await observedHandler())(async () => logger.info('tick'));

    await plain({}, context('lambda-req-2'));

    const line = lines.find((entry) => entry.message === 'tick');
    expect(line).toMatchObject({ function_request_id: 'lambda-req-2' });
    expect(line).not.toHaveProperty('connectionId');
    expect(line).not.toHaveProperty('userId');
  });

  it('count the internal error as a metric, flushed as one EMF line at the end of the invocation', async () => {
    await failingRoute()(frameEvent('apigw-req-1', 'conn-1=', 'user-7'), context('lambda-req-1'));

    const emf = lines.filter((entry) => entry._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ InternalErrors: 1, service: 'presence' });
    expect(emf[0]._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'Presence', Metrics: [{ Name: 'InternalErrors', Unit: 'Count' }] }],
    });
  });

  it('write no metrics line for an invocation that counted nothing', async () => {
    await (await observedHandler())(async () => 'ok')({}, context('lambda-req-3'));

    expect(lines.filter((entry) => entry._aws !== undefined)).toEqual([]);
    expect(lines.filter((entry) => entry.level === 'WARN')).toEqual([]);
  });
});

describe('secret redaction', () => {
  it('redacts secret-looking fields, nested ones and appended keys, and reduces errors to name and message', async () => {
    await (await observedHandler())(async () => {
      logger.appendKeys({ authorization: 'Bearer abc.def.ghi' });
      logger.info('signing in', {
        name: 'ada',
        password: 'hunter2',
        nested: { token: 'abc.def.ghi', kept: 'yes' },
        error: Object.assign(new Error('boom'), { secretKey: 'k' }),
      });
    })({}, context('lambda-req-4'));

    const line = lines.find((entry) => entry.message === 'signing in');
    expect(line).toMatchObject({
      name: 'ada',
      password: '[redacted]',
      nested: { token: '[redacted]', kept: 'yes' },
      error: { name: 'Error', message: 'boom' },
      authorization: '[redacted]',
    });
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|abc\.def\.ghi/);
  });
});
