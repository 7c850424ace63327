/**
 * The local `@connections` API answers PostToConnection with 429 LimitExceededException for a
 * connection whose client is not reading (its send buffer over 128 KB), as API Gateway does for a
 * full client buffer; the SDK sees the modelled exception.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient, LimitExceededException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewayConnectionGateway } from '../../../../lambdas/adapters/api-gateway-connection-gateway';
import { handleConnectionsRequest, type ManagedConnection } from '../../../../local/api-gateway/websocket/connections-api';

const ID = 'GgCJcFJGoAMCJ8w=';
let server: Server;
let client: ApiGatewayManagementApiClient;
let buffered = 0;
const sent: Buffer[] = [];

const connection: ManagedConnection = {
  connectedAt: 0,
  lastActiveAt: 0,
  sourceIp: '127.0.0.1',
  userAgent: 'test',
  get bufferedAmount() {
    return buffered;
  },
  send: (data) => {
    sent.push(data);
    return true;
  },
  disconnect: () => true,
};

beforeAll(async () => {
  server = createServer(
    (req, res) =>
      void handleConnectionsRequest(req, res, { stage: 'local', find: (id) => (id === ID ? connection : undefined), log: () => undefined }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new ApiGatewayManagementApiClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/local`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('posts while the client reads, and answers LimitExceededException (429) once its buffer is over 128 KB, sending nothing', async () => {
  buffered = 128 * 1024;
  await client.send(new PostToConnectionCommand({ ConnectionId: ID, Data: Buffer.from('{"a":1}') }));
  buffered = 128 * 1024 + 1;

  const error = await client.send(new PostToConnectionCommand({ ConnectionId: ID, Data: Buffer.from('{"a":2}') })).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(LimitExceededException);
  expect((error as LimitExceededException).$metadata.httpStatusCode).toBe(429);
  expect(sent.map((data) => data.toString())).toEqual(['{"a":1}']);
});

it("is a 'throttled' post to the gateway adapter, not an error and not 'gone'", async () => {
  buffered = 256 * 1024;

  await expect(new ApiGatewayConnectionGateway(client).post(ID, { type: 'presence', presences: [] })).resolves.toBe('throttled');
});
