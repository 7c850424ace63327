/** PresenceApi against the local stack: every HTTP route of the contract, and its errors as PresenceApiError. */
import { PresenceApi, PresenceApiError } from '../../client';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let env: TestStack;
const api = (token?: string) => new PresenceApi({ baseUrl: env.stack.httpUrl, token });

beforeAll(async () => {
  env = await startTestStack();
}, 90_000);

afterAll(async () => {
  await env?.dispose();
}, 30_000);

describe('PresenceApi', () => {
  it('signs up and logs in, keeping the token for later calls', async () => {
    const signing = api();
    const signedUp = await signing.signUp('http-alice', 'correct horse');
    const loggingIn = api();

    const loggedIn = await loggingIn.logIn('HTTP-Alice', 'correct horse');
    const me = await loggingIn.getUser(signedUp.user.id);

    expect(signing.token).toBe(signedUp.token);
    expect(loggedIn.user).toEqual(signedUp.user);
    expect(me).toEqual({ ...signedUp.user, status: 'offline', lastSeen: null });
  });

  it('turns error answers into PresenceApiError with the contract code', async () => {
    await api().signUp('http-taken', 'correct horse');

    await expect(api().signUp('HTTP-TAKEN', 'correct horse')).rejects.toMatchObject({ status: 409, code: 'name_taken' });
    await expect(api().logIn('http-taken', 'wrong password')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    await expect(api('not-a-token').searchUsers('http')).rejects.toThrow(PresenceApiError);
    await expect(api().searchUsers('http')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('searches by name prefix with status, and pages with the cursor', async () => {
    const session = await api().signUp('http-search-0', 'correct horse');
    await api().signUp('http-search-1', 'correct horse');
    const client = api(session.token);

    const first = await client.searchUsers('HTTP-SEARCH', { limit: 1 });
    const second = await client.searchUsers('http-search', { limit: 1, cursor: first.nextCursor });

    expect(first.users.map((u) => [u.name, u.status])).toEqual([['http-search-0', 'offline']]);
    expect(second.users.map((u) => u.name)).toEqual(['http-search-1']);
    await expect(client.getUser('999999999')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('asks for the presence of more than 100 ids in several requests, leaving unknown ones out', async () => {
    const [a, b] = [await api().signUp('http-bulk-a', 'correct horse'), await api().signUp('http-bulk-b', 'correct horse')];
    const ids = [a.user.id, ...Array.from({ length: 148 }, (_, i) => String(900_000 + i)), b.user.id];

    const presences = await api(a.token).getPresence(ids);

    expect(presences.map((p) => p.userId).sort()).toEqual([a.user.id, b.user.id].sort());
  });

  it('sets the manual status and renews the HTTP heartbeat lease', async () => {
    const session = await api().signUp('http-status', 'correct horse');
    const client = api(session.token);

    const beat = await client.heartbeat();
    const hidden = await client.setStatus('offline');
    const whileHidden = await client.getUser(session.user.id);
    await client.setStatus('online');
    const visible = await client.getUser(session.user.id);

    expect(beat).toEqual({ status: 'online', leaseExpiresAt: expect.any(String) });
    expect(hidden).toBe('offline');
    expect(whileHidden.status).toBe('offline');
    expect(visible.status).toBe('online');
  });
});
