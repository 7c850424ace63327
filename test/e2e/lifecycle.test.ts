/**
 * `npm start` as a user runs it: a child process group, stopped by signals to the npm PID alone or
 * to the whole group, and a stand-in killed under it. Each case starts its own stack on free ports
 * and a temp data dir, and kills whatever it started.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack } from '../../local/stack';
import { api } from '../helpers/local-stack';
import { accepts } from '../helpers/net';
import { sleep, TestSocket } from '../helpers/ws-client';

const ROOT = path.resolve(__dirname, '../..');

interface Started {
  readonly child: ChildProcess;
  readonly ports: { http: number; ws: number; dataApi: number; dynamoDb: number };
  readonly dataDir: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Started[] = [];
const dataDirs: string[] = [];

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Every process of a group, by pid (empty once the group is gone). */
const groupMembers = (pgid: number): number[] => {
  const lines = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' }).trim().split('\n');
  return lines
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, group]) => group === pgid)
    .map(([pid]) => pid);
};

const javaUnder = (dataDir: string): number[] =>
  execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal') && line.includes(dataDir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));

/** Starts `command` in its own process group (as a terminal would) and waits for /health. */
const start = async (command: string, args: string[], dataDir?: string, env: Record<string, string> = {}): Promise<Started> => {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'presence-lifecycle-')));
  if (dataDir === undefined) dataDirs.push(dir);
  const ports = { http: await freePort(), ws: await freePort(), dataApi: await freePort(), dynamoDb: await freePort() };
  let output = '';
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PRESENCE_DATA_DIR: dir,
      PRESENCE_HTTP_PORT: String(ports.http),
      PRESENCE_WS_PORT: String(ports.ws),
      PRESENCE_DATA_API_PORT: String(ports.dataApi),
      PRESENCE_DYNAMODB_PORT: String(ports.dynamoDb),
      ...env,
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const handle: Started = { child, ports, dataDir: dir, output: () => output, exited };
  started.push(handle);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${ports.http}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return handle;
    await sleep(250);
  }
  throw new Error(`the stack did not become healthy:\n${output}`);
};

const waitUntil = async (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> => {
  const begin = Date.now();
  while (Date.now() - begin < timeoutMs) {
    if (await condition()) return Date.now() - begin;
    await sleep(100);
  }
  throw new Error(`not within ${timeoutMs} ms`);
};

afterEach(async () => {
  for (const { child } of started.splice(0)) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // No java left behind, whatever happened above (the watchdog stops it within a few seconds).
  await waitUntil(() => dataDirs.every((dir) => javaUnder(dir).length === 0), 15_000);
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm start', () => {
  it('stops the whole stack on a SIGTERM to the npm PID alone, and frees its ports', async () => {
    const stack = await start('npm', ['start', '--ignore-scripts', '--silent']);
    const pgid = stack.child.pid as number;

    process.kill(pgid, 'SIGTERM');
    // The contract's 10 s, with room for a machine shared by many test runs (an orphan would never go).
    const tookMs = await waitUntil(() => groupMembers(pgid).length === 0, 15_000).catch(() => Infinity);

    expect(tookMs).toBeLessThan(15_000);
    expect(await accepts('127.0.0.1', stack.ports.http)).toBe(false);
    expect(await accepts('127.0.0.1', stack.ports.dynamoDb)).toBe(false);
  }, 120_000);
});

describe('a stop by Ctrl-C (SIGINT to the process group)', () => {
  it('closes the sockets first: after a restart their user is offline, with lastSeen = the stop', async () => {
    const stack = await start('node', ['--import', 'tsx', 'local/index.ts'], undefined, { PRESENCE_LEASE_SECONDS: '20' });
    const client = api(() => `http://127.0.0.1:${stack.ports.http}`);
    const signUp = await client.signUp('stopped-user');
    const socket = await TestSocket.open(`ws://127.0.0.1:${stack.ports.ws}`, signUp.body.token);
    for (let i = 0; i < 4; i += 1) {
      await socket.request({ action: 'heartbeat' });
      await sleep(1_000);
    }

    const stoppedAt = Date.now();
    process.kill(-(stack.child.pid as number), 'SIGINT');
    const exit = await Promise.race([stack.exited, sleep(10_000).then(() => 'too slow' as const)]);
    const restarted = await startLocalStack({
      httpPort: 0,
      wsPort: 0,
      dataApiPort: 0,
      dynamoDbPort: 0,
      dataDir: stack.dataDir,
      leaseSeconds: 20,
      sweepSeconds: 60,
      graceSeconds: 3,
      host: '127.0.0.1',
      log: () => undefined,
    });
    try {
      const user = await api(() => restarted.httpUrl).call('GET', `/users/${signUp.body.user.id}`, { token: signUp.body.token });

      expect(exit).toEqual({ code: 0, signal: null });
      expect(stack.output()).not.toMatch(/\$disconnect .* function error/);
      expect(user.body.status).toBe('offline');
      expect(Math.abs(Date.parse(user.body.lastSeen) - stoppedAt)).toBeLessThan(2_000);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});

describe('a stand-in that dies', () => {
  it('is named in the log and the stack exits non-zero, leaving nothing behind', async () => {
    const stack = await start('node', ['--import', 'tsx', 'local/index.ts']);
    const [java] = javaUnder(stack.dataDir);

    process.kill(java, 'SIGKILL');
    const exit = await Promise.race([stack.exited, sleep(15_000).then(() => 'still running' as const)]);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(stack.output()).toMatch(/DynamoDB Local .*(died|exited)/);
    expect(groupMembers(stack.child.pid as number)).toEqual([]);
  }, 120_000);
});
