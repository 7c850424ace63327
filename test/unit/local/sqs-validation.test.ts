/**
 * SQS's request limits and error codes, checked before anything is stored.
 */
import {
  MAX_MESSAGE_BYTES,
  batchEntries,
  delaySeconds,
  messageAttributes,
  messageBody,
  selectsAttribute,
  sendBatchEntries,
  validatedMessage,
} from '../../../local/queue/validation';

const withCode = (queryCode: string) => expect.objectContaining({ queryCode });

describe('delaySeconds', () => {
  it.each([
    [undefined, 0],
    [0, 0],
    [900, 900],
  ])('accepts %p as %p', (value, expected) => {
    expect(delaySeconds(value)).toBe(expected);
  });

  it.each([[-1], [901], [1.5], ['5']])('rejects %p with InvalidParameterValue', (value) => {
    expect(() => delaySeconds(value)).toThrow(expect.objectContaining({ name: 'InvalidParameterValue', message: expect.stringContaining('DelaySeconds') }));
  });
});

describe('messageBody', () => {
  it.each([
    ['tab, newline and carriage return', 'a\tb\nc\r'],
    ['characters outside the BMP', 'wave 👋'],
  ])('accepts %s', (_name, body) => {
    expect(messageBody(body)).toBe(body);
  });

  it.each([
    ['a NUL character', 'a\u0000b'],
    ['a control character', 'a\u0008b'],
    ['U+FFFE', 'a\ufffeb'],
    ['a lone surrogate', 'a\ud800b'],
  ])('rejects %s with InvalidMessageContents', (_name, body) => {
    expect(() => messageBody(body)).toThrow(withCode('InvalidMessageContents'));
  });

  it.each([[undefined], ['']])('rejects a missing body (%p) with MissingParameter', (body) => {
    expect(() => messageBody(body)).toThrow(withCode('MissingParameter'));
  });
});

describe('messageAttributes', () => {
  it('decodes String, Number and base64 Binary attributes', () => {
    expect(
      messageAttributes({
        kind: { DataType: 'String', StringValue: 'grace' },
        count: { DataType: 'Number.int', StringValue: '-1.5e3' },
        blob: { DataType: 'Binary', BinaryValue: 'AQID' },
      }),
    ).toEqual({
      kind: { dataType: 'String', stringValue: 'grace' },
      count: { dataType: 'Number.int', stringValue: '-1.5e3' },
      blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2, 3]) },
    });
  });

  it.each([
    ['a reserved prefix', { 'aws.thing': { DataType: 'String', StringValue: 'x' } }],
    ['a leading period', { '.thing': { DataType: 'String', StringValue: 'x' } }],
    ['consecutive periods', { 'a..b': { DataType: 'String', StringValue: 'x' } }],
    ['an unknown type', { a: { DataType: 'Text', StringValue: 'x' } }],
    ['an empty value', { a: { DataType: 'String', StringValue: '' } }],
    ['a Number that is not a number', { a: { DataType: 'Number', StringValue: 'ten' } }],
    ['a Binary without a value', { a: { DataType: 'Binary', StringValue: 'x' } }],
    ['eleven attributes', Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'x' }]))],
  ])('rejects %s with InvalidParameterValue', (_name, attributes) => {
    expect(() => messageAttributes(attributes)).toThrow(withCode('InvalidParameterValue'));
  });
});

describe('validatedMessage', () => {
  it('counts body and attributes against the 1 MiB limit', () => {
    const attributes = { ab: { DataType: 'String', StringValue: 'xyz' } };
    const fits = 'x'.repeat(MAX_MESSAGE_BYTES - 'ab'.length - 'String'.length - 'xyz'.length);

    expect(validatedMessage({ MessageBody: fits, MessageAttributes: attributes }, 0).size).toBe(MAX_MESSAGE_BYTES);
    expect(() => validatedMessage({ MessageBody: `${fits}x`, MessageAttributes: attributes }, 0)).toThrow(withCode('InvalidParameterValue'));
  });

  it('falls back to the queue delay', () => {
    expect(validatedMessage({ MessageBody: 'x' }, 7).delaySeconds).toBe(7);
    expect(validatedMessage({ MessageBody: 'x', DelaySeconds: 0 }, 7).delaySeconds).toBe(0);
  });
});

describe('batch entries', () => {
  const entry = (Id: string, MessageBody = 'x') => ({ Id, MessageBody });

  it.each([
    ['no entries', [], 'AWS.SimpleQueueService.EmptyBatchRequest'],
    ['eleven entries', Array.from({ length: 11 }, (_, i) => entry(`e${i}`)), 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'],
    ['a malformed id', [entry('a b')], 'AWS.SimpleQueueService.InvalidBatchEntryId'],
    ['a repeated id', [entry('a'), entry('a')], 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'],
  ])('rejects %s', (_name, entries, expected) => {
    expect(() => batchEntries(entries, 'SendMessageBatchRequestEntry')).toThrow(withCode(expected));
  });

  it('rejects a batch whose messages add up to more than 1 MiB', () => {
    const half = 'x'.repeat(MAX_MESSAGE_BYTES / 2);

    expect(sendBatchEntries([entry('a', half), entry('b', half)])).toHaveLength(2);
    expect(() => sendBatchEntries([entry('a', half), entry('b', `${half}x`)])).toThrow(withCode('AWS.SimpleQueueService.BatchRequestTooLong'));
  });
});

describe('selectsAttribute', () => {
  it.each([
    [['All'], 'any', true],
    [['.*'], 'any', true],
    [['grace.*'], 'grace.kind', true],
    [['grace.*'], 'graceful', false],
    [['kind'], 'kind', true],
    [['kind'], 'Kind', false],
    [[], 'kind', false],
  ])('%p selects %p: %p', (requested, name, expected) => {
    expect(selectsAttribute(requested, name)).toBe(expected);
  });
});
