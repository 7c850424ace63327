import { inspect } from 'node:util';
import type { GraceTimer } from '../../lambdas/ports';
import { ConfigurationError } from '../../lambdas/shared/config';
import { notWired, once } from '../../lambdas/shared/dependencies/core';
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
