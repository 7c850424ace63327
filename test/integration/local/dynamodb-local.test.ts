import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';
import { accepts, ownExternalAddresses } from '../../helpers/net';

const REPO_ROOT = path.resolve(__dirname, '../../..');

const processGroupOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/** Running, as opposed to gone or a zombie nobody reaped (containers often have no reaping init). */
function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

describe('startDynamoDbLocal', () => {
  let dynamo: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    client = clientFor(dynamo.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  it('starts on a free port and answers ListTables there', async () => {
    // Prepare: started in beforeAll without a port.

    // Act
    const tables = await client.send(new ListTablesCommand({}));

    // Assess
    expect(dynamo.port).toBeGreaterThan(0);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
    expect(tables.TableNames).toEqual(expect.any(Array));
  });

  it('creates the manifest tables with their keys, index, stream and TTL, and a second run changes nothing', async () => {
    // Prepare
    const names = { presence: 'presence-tables-test' };

    // Act
    await createTables(dynamo.endpoint, names);
    await createTables(dynamo.endpoint, names);

    // Assess
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: names.presence }));
    const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: names.presence }));
    expect({
      keys: table?.KeySchema,
      billing: table?.BillingModeSummary?.BillingMode,
      stream: table?.StreamSpecification,
      indexes: table?.GlobalSecondaryIndexes?.map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema,
        projection: i.Projection?.ProjectionType,
      })),
      ttl,
    }).toEqual({
      keys: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      billing: 'PAY_PER_REQUEST',
      stream: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      indexes: [
        {
          name: 'sweep',
          keys: [
            { AttributeName: 'sweepKey', KeyType: 'HASH' },
            { AttributeName: 'sweepAt', KeyType: 'RANGE' },
          ],
          projection: 'KEYS_ONLY',
        },
      ],
      ttl: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' },
    });
  });

  it("listens on 127.0.0.1 only: a connection to one of this machine's other addresses is refused", async () => {
    // Prepare
    const own = ownExternalAddresses();

    // Act
    const reached = await Promise.all(own.map((address) => accepts(address, dynamo.port)));

    // Assess
    expect(await accepts('127.0.0.1', dynamo.port)).toBe(true);
    expect(reached).toEqual(own.map(() => false));
  });

  it('grants CORS to its own origin only (-cors), never to a web page of another origin', async () => {
    // Act: what a browser asks before letting a page POST to DynamoDB.
    const preflight = (origin: string) =>
      fetch(dynamo.endpoint, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-amz-target',
        },
      }).then(async (response) => {
        await response.arrayBuffer();
        return response.headers.get('access-control-allow-origin');
      });

    // Assess
    expect(await preflight('http://evil.example')).toBeNull();
    expect(await preflight(dynamo.endpoint)).toBe(dynamo.endpoint);
  });

  it("keeps running through a SIGINT to our own process group (a terminal's Ctrl-C): the stack stops it last", () => {
    // Act / Assess: its own process group, so a group signal to ours never reaches it.
    expect(processGroupOf(dynamo.pid)).not.toBe(processGroupOf(process.pid));
  });

  it('reports an exit it did not ask for, naming DynamoDB Local and how it ended', async () => {
    // Prepare
    const exits: string[] = [];
    const doomed = await startDynamoDbLocal({ onUnexpectedExit: (description) => exits.push(description) });

    // Act
    process.kill(doomed.pid, 'SIGKILL');

    // Assess
    expect(await waitFor(() => exits.length > 0, 5_000)).toBe(true);
    expect(exits).toEqual([
      expect.stringMatching(/^DynamoDB Local \(java pid \d+, http:\/\/127\.0\.0\.1:\d+\) exited by itself \(signal SIGKILL\)$/),
    ]);
    await doomed.stop();
  });

  it("rejects with java's own words when the requested port is taken", async () => {
    // Prepare
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;

    // Act
    const starting = startDynamoDbLocal({ port });

    // Assess
    await expect(starting).rejects.toThrow(/exited during start-up[\s\S]*Address already in use/);
    await new Promise((resolve) => blocker.close(resolve));
  });
});

describe('startDynamoDbLocal with a data directory', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ddb-local-test-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps tables and items across a stop and a start on the same directory', async () => {
    // Prepare
    const first = await startDynamoDbLocal({ dataDir });
    await createTables(first.endpoint, { presence: 'presence-persist' });
    const firstClient = clientFor(first.endpoint);
    await firstClient.send(
      new PutItemCommand({ TableName: 'presence-persist', Item: { pk: { S: 'USER#1' }, sk: { S: 'STATE' }, v: { S: 'kept' } } }),
    );
    firstClient.destroy();
    await first.stop();

    // Act
    const second = await startDynamoDbLocal({ dataDir });
    const secondClient = clientFor(second.endpoint);
    try {
      await createTables(second.endpoint, { presence: 'presence-persist' });
      const item = await secondClient.send(
        new GetItemCommand({ TableName: 'presence-persist', Key: { pk: { S: 'USER#1' }, sk: { S: 'STATE' } } }),
      );

      // Assess
      expect(item.Item?.v).toEqual({ S: 'kept' });
    } finally {
      secondClient.destroy();
      await second.stop();
    }
  });
});

describe('startDynamoDbLocal when its parent crashes', () => {
  let parent: ChildProcess | undefined;
  let javaPid: number | undefined;

  afterAll(() => {
    // Only reached with anything to clean if the assertion failed: do not leak what the test started.
    if (parent?.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    if (javaPid !== undefined && isRunning(javaPid)) process.kill(javaPid, 'SIGKILL');
  });

  it('leaves no java behind when the Node process that started it is SIGKILLed', async () => {
    // Prepare
    parent = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/fixtures/dynamodb-local-child.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent!.stdout! }).once('line', resolve);
      parent!.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    javaPid = (JSON.parse(firstLine) as { javaPid: number }).javaPid;
    expect(isRunning(javaPid)).toBe(true);

    // Act
    parent.kill('SIGKILL');

    // Assess
    const gone = await waitFor(() => !isRunning(javaPid as number), 5_000);
    expect(gone).toBe(true);
  });
});
