/**
 * The log-in limit of contract v1.1: at most 10 attempts per (name, client address) and, more
 * loosely, 100 per name across all addresses, per 15 minutes. A stranger's guesses then lock out
 * only the stranger's address, while a botnet still gets at most 100 guesses per name.
 *
 * Attempts are counted *before* the password is checked, each in one atomic step, so requests in
 * flight at once cannot all pass a check that has not yet seen the others; a log-in that does not
 * end in wrong credentials (it succeeded, or the service failed) is given back.
 */

import type { AttemptCounter } from '../ports';
import { RateLimitedError } from './errors';

export interface LogInLimits {
  /** Attempts per name and client address in any window-long span. */
  readonly perAddress: number;
  /** Attempts per name across all addresses in any window-long span. */
  readonly perName: number;
}

export const LOG_IN_LIMITS: LogInLimits = { perAddress: 10, perName: 100 };
export const LOG_IN_WINDOW_MS = 15 * 60_000;

/**
 * The client address a limit applies to. An IPv6 client usually holds a whole /64 (and can pick
 * any address in it), so IPv6 addresses count by their /64 prefix; IPv4 addresses (also IPv4-mapped
 * IPv6 ones) count whole.
 */
export const addressKey = (address: string): string => {
  const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mappedIpv4 !== null) return mappedIpv4[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
};

/**
 * The key of a name no account can have (see `canonicalName`): its attempts are counted like any
 * other, so answering it costs the same work, under a short hash (32-bit FNV-1a) of the name
 * whatever its length or bytes. Two such names may share a budget; neither can ever log in.
 */
export const impossibleNameKey = (name: string): string => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) hash = Math.imul(hash ^ name.charCodeAt(index), 0x01000193) >>> 0;
  return `~${hash.toString(16).padStart(8, '0')}`;
};

/** An attempt that was let through. */
export interface Admission {
  /** The attempt did not fail on its credentials (it succeeded, or the service failed): uncount it. */
  readonly giveBack: () => Promise<void>;
}

export class LogInLimiter {
  constructor(
    private readonly deps: {
      readonly counter: AttemptCounter;
      readonly limits?: LogInLimits;
    },
  ) {}

  /**
   * Counts an attempt at `name` (its canonical form, the one the lookup uses) from `address`.
   * @throws RateLimitedError, counting nothing, when either limit is reached.
   */
  async admit(name: string, address: string): Promise<Admission> {
    const limits = this.deps.limits ?? LOG_IN_LIMITS;
    const perAddress = await this.deps.counter.take(`name-address#${name}#${addressKey(address)}`, limits.perAddress);
    if (!perAddress.allowed) throw refused(perAddress.retryAfterMs);
    // Only attempts the per-address limit let through count against the name: a stranger who keeps
    // hammering from one locked-out address cannot use up the owner's budget from other addresses.
    const perName = await this.deps.counter.take(`name#${name}`, limits.perName).catch(async (error: unknown) => {
      await perAddress.giveBack();
      throw error;
    });
    if (!perName.allowed) {
      await perAddress.giveBack();
      throw refused(perName.retryAfterMs);
    }
    return { giveBack: async () => void (await Promise.all([perAddress.giveBack(), perName.giveBack()])) };
  }
}

const refused = (retryAfterMs: number): RateLimitedError =>
  new RateLimitedError('Too many log-in attempts for this name; try again later', Math.max(1, Math.ceil(retryAfterMs / 1000)));
