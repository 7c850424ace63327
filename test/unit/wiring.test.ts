import { inspect } from 'node:util';
import type { GraceTimer } from '../../lambdas/ports';
import { notWired, once } from '../../lambdas/shared/dependencies/core';

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
