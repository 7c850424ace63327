import { parseAccount, parseIdList, parseIdParam, parseJsonBody, parseSearchQuery, parseStatus } from '../../contract/validation';
import { InvalidRequestError } from '../../lambdas/domain/errors';
import { isUserId } from '../../lambdas/domain/user-id';

describe('parseAccount', () => {
  it.each(['ab', 'a'.repeat(33), 'al ice', 'alice!', 'ålice', ''])('refuses the name %j', (name) => {
    expect(() => parseAccount({ name, password: 'password1' })).toThrow(InvalidRequestError);
  });

  it.each(['abc', 'Alice_1.x-y', 'a'.repeat(32)])('accepts the name %j', (name) => {
    expect(parseAccount({ name, password: 'password1' }).name).toBe(name);
  });

  it.each(['short', 'p'.repeat(129), 12345678, null])('refuses the password %j', (password) => {
    expect(() => parseAccount({ name: 'alice', password })).toThrow(InvalidRequestError);
  });
});

describe('parseJsonBody', () => {
  it.each([undefined, '', 'not json', '[]', '"text"', 'null'])('refuses %j', (body) => {
    expect(() => parseJsonBody(body)).toThrow(InvalidRequestError);
  });
});

describe('parseSearchQuery', () => {
  it('defaults the limit to 20', () => {
    expect(parseSearchQuery({ q: 'al' })).toEqual({ q: 'al', limit: 20, cursor: null });
  });

  it.each(['0', '51', '-1', '1.5', 'ten', ''])('refuses limit %j instead of clamping it', (limit) => {
    expect(() => parseSearchQuery({ q: 'al', limit })).toThrow(InvalidRequestError);
  });

  it.each([undefined, '', 'q'.repeat(33), 'a\u0000', '\u0000'])('refuses q %j', (q) => {
    expect(() => parseSearchQuery({ q })).toThrow(InvalidRequestError);
  });
});

describe('parseIdList', () => {
  it('collapses duplicates and keeps ids that cannot exist (they are simply unknown)', () => {
    expect(parseIdList('1,2,1,abc')).toEqual(['1', '2', 'abc']);
  });

  it('refuses more than 100 ids', () => {
    expect(() => parseIdList(Array.from({ length: 101 }, (_, i) => String(i + 1)).join(','))).toThrow(InvalidRequestError);
  });

  it('refuses an empty id', () => {
    expect(() => parseIdList('1,,2')).toThrow(InvalidRequestError);
  });
});

describe('parseIdParam', () => {
  it.each(['1', 'abc', '\u0000', '1'.repeat(64)])("accepts %j, of the contract's shape (unknown if no user has it)", (id) => {
    expect(parseIdParam(id)).toBe(id);
  });

  it.each([undefined, '', '1'.repeat(65)])('refuses %j', (id) => {
    expect(() => parseIdParam(id)).toThrow(InvalidRequestError);
  });
});

describe('isUserId', () => {
  it.each([
    ['1', true],
    ['123456789012345678', true],
    ['0', false],
    ['01', false],
    ['1234567890123456789', false],
    ["1' OR '1'='1", false],
  ])('%j -> %j', (id, expected) => {
    expect(isUserId(id)).toBe(expected);
  });
});

describe('parseStatus', () => {
  it.each(['away', 'ONLINE', 1, null])('refuses %j', (status) => {
    expect(() => parseStatus(status)).toThrow(InvalidRequestError);
  });
});
