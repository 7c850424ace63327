/** A WebSocket API's configuration fails at start, not on the first message or handshake. */

import { resolveConfig } from '../../../../local/api-gateway/websocket/config';
import type { FunctionConfig } from '../../../../local/lambda/invoke';

const fn: FunctionConfig = { name: 'f', handler: async () => ({ statusCode: 200 }), timeoutSeconds: 3, memoryMb: 128 };

describe('resolveConfig', () => {
  it('refuses two routes with one key', () => {
    expect(() =>
      resolveConfig({
        routes: [
          { routeKey: 'x', fn },
          { routeKey: 'x', fn },
        ],
      }),
    ).toThrow('Duplicate WebSocket route x');
  });

  it('refuses a route selection expression with a variable other than request.body', () => {
    expect(() => resolveConfig({ routes: [], routeSelectionExpression: '$context.routeKey' })).toThrow(
      'Unsupported route selection variable',
    );
  });

  it('refuses an authorizer without identity sources', () => {
    expect(() => resolveConfig({ routes: [], authorizer: { fn, identitySource: [] } })).toThrow(
      'A WebSocket authorizer needs at least one identity source',
    );
  });

  it('applies API Gateway defaults and lets messages select every route but $connect and $disconnect', () => {
    const config = resolveConfig({
      routes: ['$connect', '$disconnect', '$default', 'echo'].map((routeKey) => ({ routeKey, fn, returnResponse: routeKey === 'echo' })),
    });

    expect(config).toMatchObject({ stage: 'local', routeSelectionExpression: '$request.body.action', idleMs: 600_000, maxMs: 7_200_000 });
    expect([...config.messageRouteKeys]).toEqual(['$default', 'echo']);
    expect([...config.twoWay]).toEqual(['echo']);
  });
});
