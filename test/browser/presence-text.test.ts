/** The web client's wording and configuration, as pure functions (no browser needed). */

import { PresenceApiError } from '../../client';
import { resolveConfig } from '../../web/src/config';
import { describeError, signUpProblem } from '../../web/src/messages';
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
    expect(describePresence({ status: 'offline', lastSeen: ago(5 * 60_000) }, NOW)).toEqual({
      status: 'Offline',
      lastSeen: 'last seen 5 minutes ago',
    });
    expect(describePresence({ status: 'offline', lastSeen: null }, NOW)).toEqual({ status: 'Offline', lastSeen: 'never seen' });
    expect(describePresence(undefined, NOW)).toEqual({ status: 'Checking…', lastSeen: null });
  });

  it('says unknown, with what was last known, while the connection is lost', () => {
    expect(describePresence({ status: 'online', lastSeen: null }, NOW, true)).toEqual({ status: 'Unknown (was online)', lastSeen: null });
    expect(describePresence({ status: 'offline', lastSeen: ago(60_000) }, NOW, true)).toEqual({
      status: 'Unknown (was offline)',
      lastSeen: null,
    });
  });
});

describe('messages', () => {
  it.each([
    ['ab', 'correct horse', 'Name must be 3–32 characters: letters, digits, “_”, “.” or “-”.'],
    ['al ice', 'correct horse', 'Name must be 3–32 characters: letters, digits, “_”, “.” or “-”.'],
    ['alice', 'short', 'Password must be at least 8 characters.'],
    ['alice', 'x'.repeat(129), 'Password must be at most 128 characters.'],
    ['alice', 'correct horse', null],
  ])('checks sign-up input %s / %s with the contract rules', (name, password, problem) => {
    expect(signUpProblem(name, password)).toBe(problem);
  });

  it('words server answers by their code, and a failed fetch as no network', () => {
    expect(describeError(new PresenceApiError(401, 'invalid_credentials', 'Wrong name or password'))).toBe('Wrong name or password.');
    expect(describeError(new PresenceApiError(429, 'rate_limited', 'Too many log-in attempts for this name; try again later'))).toBe(
      'Too many attempts. Please wait a few minutes, then try again.',
    );
    expect(describeError(new PresenceApiError(502, 'internal', 'HTTP 502'))).toBe(
      'Something went wrong on our side. Please try again in a moment.',
    );
    expect(describeError(new TypeError('Failed to fetch'))).toBe('Cannot reach the server. Check your connection and try again.');
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
    expect(resolveConfig({ wsUrl: 'wss://config.test/prod' }, meta, page)).toEqual({
      httpUrl: 'https://meta.test',
      wsUrl: 'wss://config.test/prod',
    });
  });
});

describe('resolveConfig timing', () => {
  it('passes the deployment timing from config.js through, and drops values that are not seconds', () => {
    const page = { protocol: 'http:', hostname: 'example.test' };
    const given = { wsUrl: 'ws://x', heartbeatSeconds: 30, leaseSeconds: 75, offlineGraceSeconds: 0 };

    expect(resolveConfig(given, () => undefined, page)).toMatchObject({ heartbeatSeconds: 30, leaseSeconds: 75, offlineGraceSeconds: 0 });
    expect(resolveConfig({ heartbeatSeconds: -1, leaseSeconds: Number.NaN }, () => undefined, page)).toMatchObject({
      heartbeatSeconds: undefined,
      leaseSeconds: undefined,
    });
  });
});
