import { requestIdOf } from '../../contract/protocol';
import { parseClientFrame } from '../../contract/validation';
import { InvalidRequestError } from '../../lambdas/domain/errors';

describe('parseClientFrame', () => {
  it('parses a subscribe, collapsing duplicate ids and keeping the requestId', () => {
    expect(parseClientFrame('{"action":"subscribe","userIds":["1","2","1"],"requestId":"r1","extra":true}')).toEqual({
      action: 'subscribe',
      userIds: ['1', '2'],
      requestId: 'r1',
    });
  });

  it.each([
    ['not json', 'A frame must be a JSON object'],
    ['[]', 'A frame must be a JSON object'],
    ['{}', 'A frame needs an "action"'],
    ['{"action":7}', 'A frame needs an "action"'],
    ['{"action":"dance"}', 'Unknown action "dance"'],
    ['{"action":"subscribe","userIds":[]}', 'userIds must list 1-100 user ids'],
    ['{"action":"subscribe","userIds":"1"}', 'userIds must list 1-100 user ids'],
    [
      `{"action":"subscribe","userIds":[${Array.from({ length: 101 }, (_, i) => `"${i + 1}"`).join(',')}]}`,
      'userIds must list 1-100 user ids',
    ],
    ['{"action":"unsubscribe","userIds":[""]}', 'userIds must be non-empty strings of at most 64 characters'],
    [`{"action":"subscribe","userIds":["${'x'.repeat(65)}"]}`, 'userIds must be non-empty strings of at most 64 characters'],
    ['{"action":"setStatus","status":"away"}', 'status must be "online" or "offline"'],
    ['{"action":"heartbeat","requestId":5}', 'requestId must be a string of at most 64 characters'],
    [`{"action":"heartbeat","requestId":"${'r'.repeat(65)}"}`, 'requestId must be a string of at most 64 characters'],
  ])('refuses %s: %s', (body, message) => {
    expect(() => parseClientFrame(body)).toThrow(new InvalidRequestError(message));
  });

  it('takes an id of NUL characters as an id (of a user nobody is)', () => {
    expect(parseClientFrame('{"action":"subscribe","userIds":["\\u0000"]}')).toEqual({ action: 'subscribe', userIds: ['\u0000'] });
  });
});

describe('requestIdOf', () => {
  it.each([
    [{ requestId: 'r1' }, 'r1'],
    [{ requestId: 7 }, undefined],
    [{ requestId: 'r'.repeat(65) }, undefined],
    [null, undefined],
  ])('%j -> %j', (frame, expected) => {
    expect(requestIdOf(frame)).toBe(expected);
  });
});
