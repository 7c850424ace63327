/** The web client's wording and configuration, as pure functions (no browser needed). */
import { resolveConfig } from '../../web/src/config';
import { describePresence, timeAgo } from '../../web/src/presence-text';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('timeAgo', () => {
  it.each([
    [0, 'just now'],
    [59_000, 'just now'],
    [-5_000, 'just now'],
    [5 * 60_000, '5 minutes ago'],
    [60 * 60_000, '1 hour ago'],
    [3 * 3_600_000, '3 hours ago'],
    [26 * 3_600_000, 'yesterday'],
    [9 * 86_400_000, 'last week'],
  ])('%d ms ago reads "%s"', (ms, text) => {
    expect(timeAgo(ago(ms), NOW)).toBe(text);
  });
});

describe('describePresence', () => {
  it('says online, offline with when, never seen, or still checking', () => {
    expect(describePresence({ status: 'online', lastSeen: null }, NOW)).toEqual({ status: 'Online', lastSeen: null });
    expect(describePresence({ status: 'offline', lastSeen: ago(5 * 60_000) }, NOW)).toEqual({ status: 'Offline', lastSeen: 'last seen 5 minutes ago' });
    expect(describePresence({ status: 'offline', lastSeen: null }, NOW)).toEqual({ status: 'Offline', lastSeen: 'never seen' });
    expect(describePresence(undefined, NOW)).toEqual({ status: 'Checking…', lastSeen: null });
  });
});

describe('resolveConfig', () => {
  const page = { protocol: 'http:', hostname: 'example.test' };
  const noMeta = () => undefined;

  it('defaults to the same origin for HTTP and port 4001 of the same host for WebSocket', () => {
    expect(resolveConfig(undefined, noMeta, page)).toEqual({ httpUrl: '', wsUrl: 'ws://example.test:4001' });
    expect(resolveConfig({}, noMeta, { protocol: 'https:', hostname: 'example.test' }).wsUrl).toBe('wss://example.test:4001');
  });

  it('prefers config.js over meta tags over defaults', () => {
    const meta = (name: string) => ({ 'presence-ws-url': 'wss://meta.test/prod', 'presence-http-url': 'https://meta.test' })[name];

    expect(resolveConfig(undefined, meta, page)).toEqual({ httpUrl: 'https://meta.test', wsUrl: 'wss://meta.test/prod' });
    expect(resolveConfig({ wsUrl: 'wss://config.test/prod' }, meta, page)).toEqual({ httpUrl: 'https://meta.test', wsUrl: 'wss://config.test/prod' });
  });
});
