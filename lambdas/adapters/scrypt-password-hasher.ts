import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../ports';

interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * OWASP's scrypt floor: N=2^17, r=8, p=1 (128 MiB of memory per hash). Hashes made at the earlier
 * N=2^15 still verify (each stored hash carries its own parameters) and are re-hashed at the next
 * successful log-in (`needsRehash`).
 */
export const DEFAULT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;

const derive = (password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    // scrypt needs 128 * N * r bytes; node's default maxmem (32 MiB) is too small from N=2^15 up, so allow twice the need.
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });

/** Parameters scrypt accepts: N a power of two above 1, r and p positive integers. */
const isCost = ({ N, r, p }: ScryptCost): boolean =>
  N > 1 && Number.isInteger(Math.log2(N)) && Number.isSafeInteger(r) && r > 0 && Number.isSafeInteger(p) && p > 0;

/**
 * Memory-hard password hashing with node:crypto scrypt. The stored form carries its parameters
 * (`scrypt$N$r$p$salt$hash`), so the cost can be raised later without breaking old hashes.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly cost: ScryptCost = DEFAULT_COST) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(password, salt, this.cost);
    const { N, r, p } = this.cost;
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  needsRehash(stored: string): boolean {
    const [scheme, N, r, p] = stored.split('$');
    return scheme !== 'scrypt' || Number(N) !== this.cost.N || Number(r) !== this.cost.r || Number(p) !== this.cost.p;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, N, r, p, salt, hash] = stored.split('$');
    const cost = { N: Number(N), r: Number(r), p: Number(p) };
    if (scheme !== 'scrypt' || salt === undefined || hash === undefined || !isCost(cost)) return false;
    const expected = Buffer.from(hash, 'base64url');
    const key = await derive(password, Buffer.from(salt, 'base64url'), cost);
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}
