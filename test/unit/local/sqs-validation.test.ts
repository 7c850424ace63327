/**
 * SQS's request limits and error codes, checked before anything is stored.
 */
import { delaySeconds, MAX_MESSAGE_BYTES, messageBody, sendBatchEntries, validatedMessage } from '../../../local/queue/validation';

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
    expect(() => delaySeconds(value)).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue', message: expect.stringContaining('DelaySeconds') }),
    );
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

describe('validatedMessage', () => {
  it('holds a body to the 1 MiB limit, counted in UTF-8 bytes', () => {
    const fits = 'é'.repeat(MAX_MESSAGE_BYTES / 2);

    expect(validatedMessage({ MessageBody: fits }).body).toBe(fits);
    expect(() => validatedMessage({ MessageBody: `${fits}x` })).toThrow(withCode('InvalidParameterValue'));
  });

  it('refuses message attributes instead of dropping them', () => {
    expect(() => validatedMessage({ MessageBody: 'x', MessageAttributes: { kind: { DataType: 'String', StringValue: 'grace' } } })).toThrow(
      expect.objectContaining({ queryCode: 'InvalidParameterValue', message: expect.stringContaining('MessageAttributes') }),
    );
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
    expect(() => sendBatchEntries(entries)).toThrow(withCode(expected));
  });

  it('rejects a batch whose messages add up to more than 1 MiB', () => {
    const half = 'x'.repeat(MAX_MESSAGE_BYTES / 2);

    expect(sendBatchEntries([entry('a', half), entry('b', half)])).toHaveLength(2);
    expect(() => sendBatchEntries([entry('a', half), entry('b', `${half}x`)])).toThrow(
      withCode('AWS.SimpleQueueService.BatchRequestTooLong'),
    );
  });
});
