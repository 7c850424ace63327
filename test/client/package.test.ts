/**
 * The client as a user installs it: `npm pack` of client/, installed into an empty project, used
 * from plain JavaScript on Node (with `ws` as its WebSocket) against the local stack, and its
 * declarations compiled by a TypeScript consumer: nothing may reach back into this repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = path.join(ROOT, 'client');

/** Plain JavaScript, as a README reader would write it: two users, one sees the other come online. */
const SCRIPT = `
import WebSocket from 'ws';
import { PresenceApi, PresenceClient } from '@presence-service/client';

const baseUrl = process.env.HTTP_URL;
const suffix = Date.now().toString(36);
const alice = new PresenceApi({ baseUrl });
const bob = new PresenceApi({ baseUrl });
await alice.signUp('pack-alice-' + suffix, 'correct horse');
const bobId = (await bob.signUp('pack-bob-' + suffix, 'correct horse')).user.id;

const watching = new PresenceClient({ api: alice, WebSocket });
const seen = new Promise((resolve) => watching.on('presence', (p) => p.status === 'online' && resolve(p)));
await watching.watch([bobId]);
watching.connect();
await new Promise((resolve) => watching.on('connection-state', ({ state }) => state === 'connected' && resolve()));

const bobLive = new PresenceClient({ api: bob, WebSocket });
bobLive.connect();
const event = await seen;
console.log(JSON.stringify({ userId: event.userId, status: event.status, source: event.source, bobId }));
watching.close();
bobLive.close();
`;

/** TypeScript against the installed declarations, with the strictest lib check. */
const CONSUMER_TS = `
import { PresenceApi, PresenceClient, type ConnectionStateChange, type MeReply, type PresenceUpdate, type Status } from '@presence-service/client';
const api = new PresenceApi({ baseUrl: 'http://127.0.0.1:4000' });
const client = new PresenceClient({ api });
client.on('presence', (p: PresenceUpdate) => p.lastSeen);
client.on('connection-state', (c: ConnectionStateChange) => c.nextAttemptAt);
client.on('unauthorized', ({ message }) => message.length);
const status: Status = 'online';
const me: Promise<MeReply> = api.getMe();
export { status, me };
`;

let env: TestStack;
let project: string;
let packDir: string;

beforeAll(async () => {
  [env, project, packDir] = await Promise.all([
    startTestStack(),
    mkdtemp(path.join(tmpdir(), 'presence-client-consumer-')),
    mkdtemp(path.join(tmpdir(), 'presence-client-pack-')),
  ]);
}, 90_000);

afterAll(async () => {
  await env?.dispose();
  await Promise.all([project, packDir].map((dir) => (dir ? rm(dir, { recursive: true, force: true }) : undefined)));
}, 30_000);

it('packs, installs into an empty project and, from plain JavaScript, sees one user come online for another', async () => {
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: CLIENT });
  const [pack] = JSON.parse(packed.slice(packed.indexOf('['))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  console.log(
    `@presence-service/client: ${pack.size} B packed, ${pack.unpackedSize} B unpacked (${pack.files.map((file) => file.path).join(', ')})`,
  );
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const wsVersion = (JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'ws', 'package.json'), 'utf8')) as { version: string })
    .version;
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(packDir, pack.filename), `ws@${wsVersion}`], {
    cwd: project,
  });
  await writeFile(path.join(project, 'presence.mjs'), SCRIPT);

  const { stdout } = await run(process.execPath, ['presence.mjs'], {
    cwd: project,
    env: { ...process.env, HTTP_URL: env.stack.httpUrl },
    timeout: 20_000,
  });

  const seen = JSON.parse(stdout.trim()) as { userId: string; status: string; bobId: string };
  expect(seen).toEqual({ userId: seen.bobId, status: 'online', source: expect.stringMatching(/^(snapshot|event)$/), bobId: seen.bobId });
  expect(pack.files.map((file) => file.path).sort()).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']);
}, 90_000);

it('type-checks a TypeScript consumer against the installed declarations alone', async () => {
  await writeFile(path.join(project, 'consumer.ts'), CONSUMER_TS);
  // No @types at all: the declarations must need nothing but the language and the DOM lib.
  const compilerOptions = {
    noEmit: true,
    strict: true,
    skipLibCheck: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: [],
  };
  await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

  const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: project }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );

  expect(result).toBe('');
}, 60_000);
