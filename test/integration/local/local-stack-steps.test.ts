/**
 * The local stack's steps as its user sees them when one fails half-way: what had started is
 * stopped again, so a second `npm start` finds nothing left behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack } from '../../../local/stack';
import { accepts } from '../../helpers/net';

const listening = (): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });

const portOf = (server: Server): number => (server.address() as { port: number }).port;

/** Free ports: taken by a listener, then released. */
const freePorts = async (count: number): Promise<number[]> => {
  const servers = await Promise.all(Array.from({ length: count }, listening));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
};

const javaUnder = (dataDir: string): string[] =>
  execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal') && line.includes(dataDir));

let dataDir: string;
let taken: Server;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'presence-steps-'));
  taken = await listening();
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe('a start that fails at its last service (the HTTP port is taken)', () => {
  it('rejects naming the port, and stops every service it had started: their ports are free and no java is left', async () => {
    // Prepare
    const [wsPort, dataApiPort, dynamoDbPort, sqsPort, secretsManagerPort] = await freePorts(5);
    const logLines: string[] = [];

    // Act
    const start = startLocalStack({
      httpPort: portOf(taken),
      wsPort,
      dataApiPort,
      dynamoDbPort,
      sqsPort,
      secretsManagerPort,
      dataDir,
      leaseSeconds: 150,
      sweepSeconds: 60,
      graceSeconds: 3,
      host: '127.0.0.1',
      log: (line) => logLines.push(line),
    });

    // Assess
    await expect(start).rejects.toThrow(/EADDRINUSE/);
    const open = await Promise.all(
      [wsPort, dataApiPort, dynamoDbPort, sqsPort, secretsManagerPort].map((port) => accepts('127.0.0.1', port)),
    );
    expect(open).toEqual([false, false, false, false, false]);
    expect(javaUnder(dataDir)).toEqual([]);
    expect(logLines.filter((line) => line.startsWith('stop failed'))).toEqual([]);
  }, 90_000);
});
