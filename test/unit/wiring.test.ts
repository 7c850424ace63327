import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type { GraceTimer } from '../../lambdas/ports';
import { ConfigurationError } from '../../lambdas/shared/config';
import { notWired, once, SDK_CLIENT_DEFAULTS } from '../../lambdas/shared/dependencies/core';
import { postingPace } from '../../lambdas/shared/dependencies/delivery';
import { ENV } from '../../lambdas/shared/environment';

describe('handler wiring', () => {
  it('builds a singleton once, on first use', () => {
    let builds = 0;
    const value = once(() => ({ n: (builds += 1) }));
    expect(builds).toBe(0);
    expect(value()).toBe(value());
    expect(builds).toBe(1);
  });

  it('reports a port the handler was not wired with by name, when it is called', () => {
    const timer = notWired<GraceTimer>('the grace timer', 'wsConnect');
    expect(() => timer.schedule('u1', 0)).toThrow('the grace timer is not wired into this handler (wsConnect)');
  });

  it('can be logged and serialised', () => {
    const timer = notWired<GraceTimer>('the grace timer', 'wsConnect');
    expect(JSON.stringify({ timer })).toBe('{"timer":{}}');
    expect(() => inspect(timer)).not.toThrow();
  });

  it('is not mistaken for a promise when awaited', async () => {
    const timer = notWired<GraceTimer>('the grace timer', 'wsConnect');
    await expect(Promise.resolve(timer)).resolves.toBe(timer);
  });
});

describe("a posting handler's pace (PRESENCE_POSTING_PACES)", () => {
  const env = (value: string) => ({ [ENV.postingPaces]: value });
  const paces = JSON.stringify({
    notify: { postsPerSecond: 187.5, burst: 93 },
    fanOut: { postsPerSecond: 175, burst: 87 },
    deliveryRetry: { postsPerSecond: 125, burst: 62 },
  });

  it("is its own lane's", () => {
    expect(postingPace('notify', env(paces))).toEqual({ ratePerSecond: 187.5, burst: 93 });
    expect(postingPace('fanOut', env(paces))).toEqual({ ratePerSecond: 175, burst: 87 });
  });

  it('refuses to start without a usable pace for its lane, naming the variable', () => {
    expect(() => postingPace('fanOut', {})).toThrow(ConfigurationError);
    expect(() => postingPace('fanOut', env('not json'))).toThrow(/PRESENCE_POSTING_PACES has no pace for "fanOut"/);
    expect(() => postingPace('fanOut', env(JSON.stringify({ notify: { postsPerSecond: 1, burst: 1 } })))).toThrow(ConfigurationError);
    expect(() => postingPace('notify', env(JSON.stringify({ notify: { postsPerSecond: 0, burst: 1 } })))).toThrow(ConfigurationError);
    expect(() => postingPace('notify', env(JSON.stringify({ notify: { postsPerSecond: 5, burst: 0 } })))).toThrow(ConfigurationError);
  });
});

describe("the handlers' AWS SDK clients", () => {
  const lambdas = path.join(__dirname, '../../lambdas');
  const sources = (readdirSync(lambdas, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(path.join(lambdas, file), 'utf8') }));

  it('cache their middleware stack (cacheMiddleware), which no handler changes after building a client', () => {
    // Each `new XxxClient({ ... })`, up to the object's closing brace (the options hold no nested calls).
    const built = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/new (\w+Client)\(\{([^}]*(?:\{[^}]*\}[^}]*)*)\}/g)].map((match) => ({
        client: `${file}: ${match[1]}`,
        withDefaults: match[2].includes('...SDK_CLIENT_DEFAULTS'),
      })),
    );
    expect(SDK_CLIENT_DEFAULTS).toEqual({ cacheMiddleware: true });
    expect(built.length).toBeGreaterThanOrEqual(9);
    // lib-dynamodb's DocumentClient refuses a client with cacheMiddleware ("not compatible"): the one exception.
    expect(built.filter((client) => !client.withDefaults).map((client) => client.client)).toEqual([
      'shared/dependencies/presence-table.ts: DynamoDBClient',
    ]);
  });

  it('never get middleware added after they are built', () => {
    expect(sources.filter(({ text }) => text.includes('middlewareStack')).map(({ file }) => file)).toEqual([]);
  });
});
