import { canonicalName } from '../../../contract/validation';
import { RateLimitedError } from '../../../lambdas/domain/errors';
import { addressKey, impossibleNameKey, LogInLimiter } from '../../../lambdas/domain/log-in-limit';
import type { AttemptCounter, Taken } from '../../../lambdas/ports';

/** An atomic in-memory counter (one window), as DynamoDB's conditional ADD behaves. */
class MemoryCounter implements AttemptCounter {
  readonly counts = new Map<string, number>();
  failOn?: (key: string) => boolean;

  async take(key: string, limit: number): Promise<Taken> {
    if (this.failOn?.(key)) throw new Error('ProvisionedThroughputExceededException');
    const count = this.counts.get(key) ?? 0;
    if (count >= limit) return { allowed: false, retryAfterMs: 61_500 };
    this.counts.set(key, count + 1);
    return { allowed: true, giveBack: async () => void this.counts.set(key, (this.counts.get(key) ?? 1) - 1) };
  }
}

const prepare = (limits = { perAddress: 3, perName: 5 }) => {
  const counter = new MemoryCounter();
  return { counter, limiter: new LogInLimiter({ counter, limits }) };
};

describe('LogInLimiter', () => {
  it('refuses the attempt after the per-address limit with the wait in whole seconds', async () => {
    const { limiter } = prepare();
    for (let i = 0; i < 3; i += 1) await limiter.admit('alice', '203.0.113.7');

    const refusal = limiter.admit('alice', '203.0.113.7');

    await expect(refusal).rejects.toThrow(RateLimitedError);
    await expect(refusal).rejects.toMatchObject({ retryAfterSeconds: 62 });
  });

  it('lets exactly the limit through when many attempts arrive at once', async () => {
    const { limiter } = prepare();

    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => limiter.admit('alice', '203.0.113.7')));

    expect(outcomes.filter(({ status }) => status === 'fulfilled')).toHaveLength(3);
  });

  it('keeps admitting the same name from another address', async () => {
    const { limiter } = prepare();
    for (let i = 0; i < 3; i += 1) await limiter.admit('alice', '203.0.113.7');
    await expect(limiter.admit('alice', '203.0.113.7')).rejects.toThrow(RateLimitedError);

    await expect(limiter.admit('alice', '198.51.100.1')).resolves.toBeDefined();
  });

  it('refuses every address once the per-name limit is reached', async () => {
    const { limiter } = prepare();
    for (let i = 0; i < 5; i += 1) await limiter.admit('alice', `198.51.100.${i}`);

    await expect(limiter.admit('alice', '198.51.100.99')).rejects.toThrow(RateLimitedError);
  });

  it('does not count attempts refused at one address against the name', async () => {
    const { limiter, counter } = prepare();
    for (let i = 0; i < 3; i += 1) await limiter.admit('alice', '203.0.113.7');

    await Promise.allSettled(Array.from({ length: 20 }, () => limiter.admit('alice', '203.0.113.7')));

    expect(counter.counts.get('name#alice')).toBe(3);
  });

  it('uncounts the per-address attempt when the per-name limit refuses', async () => {
    const { limiter, counter } = prepare({ perAddress: 3, perName: 1 });
    await limiter.admit('alice', '198.51.100.1');

    await expect(limiter.admit('alice', '203.0.113.7')).rejects.toThrow(RateLimitedError);

    expect(counter.counts.get(`name-address#alice#203.0.113.7`)).toBe(0);
  });

  it('uncounts both attempts when given back (a log-in that succeeded)', async () => {
    const { limiter, counter } = prepare();
    const admission = await limiter.admit('alice', '203.0.113.7');

    await admission.giveBack();

    expect([counter.counts.get('name#alice'), counter.counts.get('name-address#alice#203.0.113.7')]).toEqual([0, 0]);
  });

  it('fails, counting nothing at the address, when the per-name count fails', async () => {
    const { limiter, counter } = prepare();
    counter.failOn = (key) => key.startsWith('name#');

    await expect(limiter.admit('alice', '203.0.113.7')).rejects.toThrow('ProvisionedThroughputExceededException');

    expect(counter.counts.get('name-address#alice#203.0.113.7')).toBe(0);
  });

  it('fails when the per-address count fails', async () => {
    const { limiter, counter } = prepare();
    counter.failOn = (key) => key.startsWith('name-address#');

    await expect(limiter.admit('alice', '203.0.113.7')).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:DB8:1:2::', '2001:db8:1:2::/64'],
  ])('%s counts as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('canonicalName (the form the limit and the lookup share)', () => {
  it.each([
    ['Alice', 'alice'],
    ['BOB_the.builder-1', 'bob_the.builder-1'],
  ])('%j is %j', (name, canonical) => {
    expect(canonicalName(name)).toBe(canonical);
  });

  it.each(['k\u0130wi', 'alice\u0000', '\u212Aelvin', 'al ice', 'ab', 'a'.repeat(33), 'ＡＢＣ', '\ud800abc'])(
    'gives %j, a name no account can have, no canonical form',
    (name) => {
      expect(canonicalName(name)).toBeNull();
    },
  );
});

describe('impossibleNameKey', () => {
  it('is short and stable whatever the name holds', () => {
    const key = impossibleNameKey(`\u0000\ud800${'x'.repeat(256)}`);

    expect([key, key.length]).toEqual([impossibleNameKey(`\u0000\ud800${'x'.repeat(256)}`), 9]);
  });

  it('cannot collide with a canonical name', () => {
    expect(canonicalName(impossibleNameKey('k\u0130wi'))).toBeNull();
  });
});
