/**
 * What an operator sees of a local stack (issue 11): `GET /local/metrics` sums the EMF metrics the
 * handlers wrote, as CloudWatch would; an HTTP answer's `apigw-requestid` finds its handler's log line.
 */

import { eventually } from '../helpers/eventually';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { TestSocket } from '../helpers/ws-client';

let env: TestStack;
const http = api(() => env.stack.httpUrl);

beforeAll(async () => {
  // Error lines only: the correlation test reads one; EMF metric lines are written at any level.
  process.env.LOG_LEVEL = 'error';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  env = await startTestStack({ graceSeconds: 0 });
}, 90_000);

afterAll(async () => {
  await env?.dispose();
});

const metric = (
  summary: { metrics: { name: string; dimensions: Record<string, string>; sum: number }[] },
  name: string,
  dimensions: Record<string, string> = {},
) => summary.metrics.find((entry) => entry.name === name && JSON.stringify(entry.dimensions) === JSON.stringify(dimensions))?.sum ?? 0;

describe('GET /local/metrics', () => {
  it('sums what the handlers counted: connections, changes (both users online, one offline), frames, log-in failures', async () => {
    await http.call('DELETE', '/local/metrics');
    const [ada, bob] = await Promise.all([http.signUp(`ada_${Date.now()}`), http.signUp(`bob_${Date.now()}`)]);
    expect(await http.logIn(ada.body.user.name, 'wrong password')).toMatchObject({ status: 401 });
    const watcher = await TestSocket.open(env.stack.wsUrl, bob.body.token);
    await watcher.request({ action: 'subscribe', userIds: [ada.body.user.id] });
    const actor = await TestSocket.open(env.stack.wsUrl, ada.body.token);
    await watcher.waitForPresence(ada.body.user.id, 'online');
    actor.close();
    await watcher.waitForPresence(ada.body.user.id, 'offline');

    const counted = async () => {
      const summary = (await http.call('GET', '/local/metrics')).body;
      return {
        opened: metric(summary, 'ConnectionsOpened'),
        closed: metric(summary, 'ConnectionsClosed'),
        changes: metric(summary, 'ChangesDecided'),
        frames: metric(summary, 'FramesPosted'),
        loginFailures: metric(summary, 'LoginFailures'),
      };
    };
    const expected = { opened: 2, closed: 1, changes: 3, frames: 2, loginFailures: 1 };
    // The $disconnect and the notifier's flush finish after the frame the watcher saw.
    await eventually(async () => JSON.stringify(await counted()) === JSON.stringify(expected)).catch(() => undefined);
    expect(await counted()).toEqual(expected);
    watcher.close();
  });

  it('starts over on DELETE', async () => {
    const summary = (await http.call('DELETE', '/local/metrics')).body;
    expect(summary.metrics).toEqual([]);
  });
});

describe('correlation', () => {
  it('an HTTP answer’s apigw-requestid is the requestId on its handler’s error line, with the route and user', async () => {
    const user = await http.signUp(`eve_${Date.now()}`);
    await http.call('PUT', '/local/faults', { body: { dataApi: 'down' } });
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let response: Awaited<ReturnType<typeof http.call>>;
    try {
      response = await http.call('GET', '/users?q=ev', { token: user.body.token });
    } finally {
      spy.mockRestore();
      await http.call('PUT', '/local/faults', { body: { dataApi: 'up' } });
    }
    expect(response.status).toBe(500);
    const requestId = response.headers.get('apigw-requestid');
    const lines = written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines.find((line) => line.message === 'unhandled error')).toMatchObject({
      requestId,
      route: 'GET /users',
      userId: user.body.user.id,
      function_name: 'searchUsers',
      function_request_id: expect.any(String),
    });
  });
});
