/**
 * The `@connections` adapter's answers (lambdas/adapters/api-gateway-connection-gateway.ts): what
 * the notifier and the sweeper act on. A closed connection is `gone` (its watchers are cleaned
 * up), a full client buffer is `throttled` (retried later), anything else is an error the caller
 * sees, never a silent success.
 * Against the local `@connections` stand-in: 410, 429, 413, 403 and GetConnection/DeleteConnection.
 * Mocked (aws-sdk-client-mock) only where the stand-in cannot answer: a 5xx from API Gateway, a
 * GetConnection answer without lastActiveAt, and a GoneException that is not this SDK copy's
 * class (another bundled SDK, matched by name).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiClient,
  ApiGatewayManagementApiServiceException,
  ForbiddenException,
  GetConnectionCommand,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayConnectionGateway } from '../../../lambdas/adapters/api-gateway-connection-gateway';
import { handleConnectionsRequest, type ManagedConnection } from '../../../local/api-gateway/websocket/connections-api';

const OPEN = 'GgCJcFJGoAMCJ8w=';
const CLOSED = 'ClosedAAAAAAAA0=';
const CONNECTED_AT = Date.UTC(2026, 11, 5, 0, 0, 0);

let server: Server;
let endpoint: string;
const clients: ApiGatewayManagementApiClient[] = [];
let buffered: number;
let frames: string[];
let open: boolean;

const connection: ManagedConnection = {
  connectedAt: CONNECTED_AT,
  lastActiveAt: CONNECTED_AT + 5_000,
  sourceIp: '127.0.0.1',
  userAgent: 'test',
  get bufferedAmount() {
    return buffered;
  },
  send: (data) => {
    frames.push(data.toString());
    return true;
  },
  disconnect: () => {
    const was = open;
    open = false;
    return was;
  },
};

/** A gateway on the local `@connections` API at `stage` (the adapter's client as the wiring builds it, no SDK retries). */
const gateway = (stage = 'local') => {
  const client = new ApiGatewayManagementApiClient({
    endpoint: `${endpoint}/${stage}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
  clients.push(client);
  return new ApiGatewayConnectionGateway(client);
};

beforeAll(async () => {
  server = createServer(
    (req, res) =>
      void handleConnectionsRequest(req, res, {
        stage: 'local',
        find: (id) => (id === OPEN && open ? connection : undefined),
        log: () => undefined,
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  buffered = 0;
  frames = [];
  open = true;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('post', () => {
  it('delivers the message as one JSON text frame', async () => {
    await expect(gateway().post(OPEN, { type: 'presence', userId: '7' })).resolves.toBe('delivered');

    expect(frames).toEqual(['{"type":"presence","userId":"7"}']);
  });

  it('answers gone for a closed connection (410)', async () => {
    await expect(gateway().post(CLOSED, { type: 'presence' })).resolves.toBe('gone');
  });

  it('answers throttled, sending nothing, when the client does not read (429 LimitExceededException)', async () => {
    buffered = 128 * 1024 + 1;

    await expect(gateway().post(OPEN, { type: 'presence' })).resolves.toBe('throttled');

    expect(frames).toEqual([]);
  });

  it('throws on a message over 128 KB (413), rather than call it delivered or gone', async () => {
    await expect(gateway().post(OPEN, { padding: 'x'.repeat(128 * 1024) })).rejects.toThrow(PayloadTooLargeException);
  });

  it('throws when it may not post (403, e.g. a wrong stage or missing permission)', async () => {
    await expect(gateway('prod').post(OPEN, { type: 'presence' })).rejects.toThrow(ForbiddenException);
  });
});

describe('lastActiveAt', () => {
  it("is the connection's last frame from the client", async () => {
    await expect(gateway().lastActiveAt(OPEN)).resolves.toBe(CONNECTED_AT + 5_000);
  });

  it('is null for a closed connection', async () => {
    await expect(gateway().lastActiveAt(CLOSED)).resolves.toBeNull();
  });
});

describe('close', () => {
  it('closes an open connection, and a second close of it is not an error', async () => {
    const subject = gateway();

    await subject.close(OPEN);
    expect(open).toBe(false);
    await expect(subject.close(OPEN)).resolves.toBeUndefined();
  });

  it('throws when it may not close (403)', async () => {
    await expect(gateway('prod').close(OPEN)).rejects.toThrow(ForbiddenException);
  });
});

describe('answers the local stand-in cannot give', () => {
  const serverError = () =>
    new ApiGatewayManagementApiServiceException({
      name: 'InternalServerErrorException',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
      message: 'Internal server error',
    });
  /** An error named GoneException that is not an instance of this SDK's class. */
  const foreignGone = () => Object.assign(new Error('Gone'), { name: 'GoneException' });

  let client: ApiGatewayManagementApiClient;
  let mock: AwsClientStub<ApiGatewayManagementApiClient>;

  beforeEach(() => {
    client = new ApiGatewayManagementApiClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    clients.push(client);
    mock = mockClient(client);
  });

  afterEach(() => mock.restore());

  it('throws on a 5xx: the post may not have reached the client, and only the caller can decide to retry', async () => {
    mock.on(PostToConnectionCommand).rejects(serverError());

    await expect(new ApiGatewayConnectionGateway(client).post(OPEN, {})).rejects.toThrow('Internal server error');
  });

  it('throws on a 5xx from GetConnection rather than answer that the connection is gone', async () => {
    mock.on(GetConnectionCommand).rejects(serverError());

    await expect(new ApiGatewayConnectionGateway(client).lastActiveAt(OPEN)).rejects.toThrow('Internal server error');
  });

  it('falls back to the connect time when GetConnection gives no last activity', async () => {
    mock.on(GetConnectionCommand).resolves({ ConnectedAt: new Date(CONNECTED_AT) });

    await expect(new ApiGatewayConnectionGateway(client).lastActiveAt(OPEN)).resolves.toBe(CONNECTED_AT);
  });

  it('knows a GoneException by its name too', async () => {
    mock.on(PostToConnectionCommand).rejects(foreignGone());

    await expect(new ApiGatewayConnectionGateway(client).post(OPEN, {})).resolves.toBe('gone');
  });
});
