/**
 * The security probe's C4, scaled down: 20 users x 10 devices (200 connections) cut at once,
 * without a close frame. Every user ends offline at the observer, with lastSeen within 2 s of the
 * cut (the contract), however late each `$disconnect` runs. The full 1,000-connection cut is
 * `npm run bench -- churn`.
 */
import { forEachLimited } from '../../lambdas/domain/concurrency';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { TestSocket } from '../helpers/ws-client';

const USERS = 20;
const DEVICES = 10;
let env: TestStack;
const { signUp } = api(() => env.stack.httpUrl);
const sockets: TestSocket[] = [];

const account = async (name: string): Promise<{ id: string; token: string }> => {
  const response = await signUp(name);
  if (response.status !== 201) throw new Error(`sign-up of ${name} failed: ${JSON.stringify(response.body)}`);
  return { id: response.body.user.id, token: response.body.token };
};

beforeAll(async () => {
  env = await startTestStack({ graceSeconds: 3 });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

it(`${USERS * DEVICES} connections cut at once: every user offline, lastSeen within 2 s of the cut`, async () => {
  // Four sign-ups at a time (scrypt runs on libuv's 4 threads): 20 at once can pass the 15 s sign-up timeout on a busy machine.
  const users: { id: string; token: string }[] = [];
  await forEachLimited(
    Array.from({ length: USERS }, (_, n) => n),
    4,
    async (n) => void users.push(await account(`churn-${n}`)),
  );
  const observer = await TestSocket.open(env.stack.wsUrl, (await account('churn-observer')).token);
  sockets.push(observer);
  await observer.request({ action: 'subscribe', userIds: users.map((u) => u.id) });
  const devices: TestSocket[] = [];
  for (const user of users)
    devices.push(...(await Promise.all(Array.from({ length: DEVICES }, () => TestSocket.open(env.stack.wsUrl, user.token)))));
  sockets.push(...devices);
  for (const user of users) await observer.waitForPresence(user.id, 'online', 30_000);

  const cut = Date.now();
  devices.forEach((socket) => socket.terminate());
  const offline = await Promise.all(users.map((user) => observer.waitForPresence(user.id, 'offline', 60_000)));

  const errors = offline.map((event) => Math.abs(Date.parse(event.lastSeen) - cut));
  expect(Math.max(...errors)).toBeLessThanOrEqual(2_000);
}, 180_000);
