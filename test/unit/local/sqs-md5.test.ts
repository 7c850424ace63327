/**
 * The digests the SDK checks (MD5OfMessageBody) and the documented MD5OfMessageAttributes encoding,
 * against vectors published by other SQS implementations' tests.
 */
import { md5OfBody, md5OfMessageAttributes } from '../../../local/queue/md5';

describe('md5OfBody', () => {
  it.each([
    ['an ASCII body', 'hello', '5d41402abc4b2a76b9719d911017c592'],
    // MD5 of the bytes C3 A9: the UTF-8 encoding, which is what the SDK hashes.
    ['the UTF-8 bytes of a non-ASCII body', 'é', '66ddcd97cfdeabb2f6fb8a999b4bc76f'],
  ])('hashes %s', (_name, body, expected) => {
    expect(md5OfBody(body)).toBe(expected);
  });
});

describe('md5OfMessageAttributes', () => {
  it.each([
    ['one String attribute', { SellerName: { dataType: 'String', stringValue: 'Example Store' } }, 'cd28f3b68aeee4b2eac9c66f2f694b58'],
    ['one Number attribute', { timestamp: { dataType: 'Number', stringValue: '1493147359900' } }, '235c5c510d26fb653d073faed50ae77c'],
    [
      'several attributes, sorted by name whatever the input order',
      { ordinal: { dataType: 'Number', stringValue: '1' }, category: { dataType: 'String', stringValue: 'test' } },
      'd21ae90c49061e927f57df5f5d72be1f',
    ],
  ])('hashes %s', (_name, attributes, expected) => {
    expect(md5OfMessageAttributes(attributes)).toBe(expected);
  });

  it('distinguishes a Binary value from the same bytes as a String', () => {
    const binary = md5OfMessageAttributes({ a: { dataType: 'Binary', binaryValue: Buffer.from('xyz') } });
    const text = md5OfMessageAttributes({ a: { dataType: 'String', stringValue: 'xyz' } });

    expect(binary).toMatch(/^[0-9a-f]{32}$/);
    expect(binary).not.toBe(text);
  });

  it('is absent when there are no attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
