import { handler as heartbeat } from '../../../lambdas/handlers/ws/heartbeat';
import { lambdaContext } from '../../helpers/lambda-context';

const event = (body: string) => ({
  requestContext: {
    connectionId: 'c1=',
    routeKey: 'heartbeat',
    eventType: 'MESSAGE' as const,
    connectedAt: 0,
    authorizer: { userId: '1' },
  },
  body,
  isBase64Encoded: false,
});

describe('WebSocket frames over 32 KiB', () => {
  it('are answered with payload_too_large before any work, echoing the requestId', async () => {
    const big = JSON.stringify({ action: 'heartbeat', requestId: 'x1', padding: 'x'.repeat(32 * 1024) });

    const result = await heartbeat(event(big), lambdaContext({ functionName: 'wsHeartbeat' }));

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({
      type: 'error',
      requestId: 'x1',
      code: 'payload_too_large',
      message: expect.any(String),
    });
  });
});
