/**
 * The local stack as a neighbour on a shared machine sees it (what listens where, who may read its
 * data dir) and as its user sees a stand-in dying under it (`/health`, the log).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../../helpers/eventually';
import { api, startTestStack, type TestStack } from '../../helpers/local-stack';
import { accepts, ownExternalAddresses } from '../../helpers/net';

let env: TestStack;
const deaths: string[] = [];
const logLines: string[] = [];
const { call, signUp } = api(() => env.stack.httpUrl);
let preexisting: string;

/** Every path under `dir` with its permission bits. */
const modes = (dir: string): Record<string, string> => {
  const out: Record<string, string> = { '.': (statSync(dir).mode & 0o777).toString(8) };
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      out[path.relative(dir, full)] = (statSync(full).mode & 0o777).toString(8);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
};

beforeAll(async () => {
  // A data dir from before: world-readable, with a world-writable file in it (as PGlite left its own).
  preexisting = mkdtempSync(path.join(tmpdir(), 'presence-lifecycle-'));
  chmodSync(preexisting, 0o755);
  mkdirSync(path.join(preexisting, 'older'), { mode: 0o755 });
  writeFileSync(path.join(preexisting, 'older', 'notes'), 'hash\n', { mode: 0o666 });
  chmodSync(path.join(preexisting, 'older', 'notes'), 0o666);
  env = await startTestStack({
    dataDir: preexisting,
    // DynamoDB Local's files in the data dir must be owner-only too; and its java is found by the data dir.
    dynamoDbStorage: 'disk',
    onStandInDeath: (description) => deaths.push(description),
    log: (line) => logLines.push(line),
  });
}, 90_000);

afterAll(async () => {
  await env?.dispose();
  await rm(preexisting, { recursive: true, force: true });
}, 30_000);

describe('the data dir', () => {
  it("is owner-only, and so is everything in it, users' password hashes included", async () => {
    // Prepare: a user makes PGlite write.
    expect((await signUp('perm-user')).status).toBe(201);

    // Act
    const lax = Object.entries(modes(env.dataDir)).filter(([, mode]) => (parseInt(mode, 8) & 0o077) !== 0);

    // Assess
    expect(lax).toEqual([]);
  });
});

describe('every local endpoint', () => {
  it("listens on 127.0.0.1 only: connections to this machine's other addresses are refused", async () => {
    // Prepare
    const own = ownExternalAddresses();
    const ports = Object.values(env.stack.ports);

    // Act
    const reached = (
      await Promise.all(own.flatMap((address) => ports.map(async (port) => ((await accepts(address, port)) ? `${address}:${port}` : null))))
    ).filter((reach) => reach !== null);

    // Assess
    expect(own.length).toBeGreaterThan(0);
    expect(await Promise.all(ports.map((port) => accepts('127.0.0.1', port)))).toEqual(ports.map(() => true));
    expect(reached).toEqual([]);
  });
});

describe('GET /health', () => {
  it('answers 503 naming the Data API while the Data API answers as an unavailable database', async () => {
    // Prepare
    await call('PUT', '/local/faults', { body: { dataApi: 'down' } });

    // Act
    const health = await call('GET', '/health');
    await call('PUT', '/local/faults', { body: { dataApi: 'up' } });
    const recovered = await call('GET', '/health');

    // Assess
    expect({ status: health.status, body: health.body }).toEqual({ status: 503, body: { status: 'degraded', failing: ['dataApi'] } });
    expect({ status: recovered.status, body: recovered.body }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  // Last: it kills a stand-in of this file's stack.
  it('answers 503 naming the presence table when DynamoDB Local is killed, and the death is reported by name', async () => {
    // Prepare
    const java = execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('DynamoDBLocal') && line.includes(env.dataDir))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(java).toHaveLength(1);

    // Act
    process.kill(java[0], 'SIGKILL');
    await eventually(() => deaths.length === 1, { timeoutMs: 5_000, what: 'the death report' });
    const started = Date.now();
    const health = await call('GET', '/health');

    // Assess
    expect({ status: health.status, body: health.body }).toEqual({ status: 503, body: { status: 'degraded', failing: ['presenceTable'] } });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(deaths[0]).toMatch(/^DynamoDB Local \(java pid \d+, http:\/\/127\.0\.0\.1:\d+\) exited by itself \(signal SIGKILL\)$/);
    expect(logLines.some((line) => line.startsWith('STAND-IN DIED: DynamoDB Local'))).toBe(true);
  });
});
