/**
 * The Lambda half of the SQS event source mapping: the record Lambda builds from a message, and
 * how it reads a function's batch response (ReportBatchItemFailures).
 */

import { interpretBatchResponse } from '../../../local/lambda/event-source-mapping';
import type { ReceivedMessage } from '../../../local/queue/message-queue';
import { toSQSRecord } from '../../../local/queue/sqs-event';

const IDS = ['m1', 'm2', 'm3'];

describe('interpretBatchResponse', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as complete success', (_name, response) => {
    expect(interpretBatchResponse(response, IDS, true)).toEqual({ kind: 'success' });
  });

  it('keeps only the reported messages', () => {
    const outcome = interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] }, IDS, true);

    expect(outcome).toEqual({ kind: 'partial', failedIds: ['m2', 'm3'] });
  });

  it.each([
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: 'm1' }] }],
    ['an identifier outside the batch', { batchItemFailures: [{ itemIdentifier: 'm9' }] }],
    ['a list that is not a list', { batchItemFailures: 'm1' }],
    ['a response that is not an object', 'm1'],
  ])('fails the whole batch for %s', (_name, response) => {
    expect(interpretBatchResponse(response, IDS, true).kind).toBe('failure');
  });

  it('ignores the response without ReportBatchItemFailures', () => {
    expect(interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'm1' }] }, IDS, false)).toEqual({ kind: 'success' });
  });
});

describe('toSQSRecord', () => {
  const message: ReceivedMessage = {
    messageId: 'id-1',
    receiptHandle: 'handle-1',
    body: '{"a":1}',
    md5OfBody: 'body-md5',
    senderId: 'SENDER',
    sentTimestamp: 1_700_000_000_000,
    receiveCount: 3,
    firstReceiveTimestamp: 1_700_000_001_000,
    size: 30,
  };
  const context = { eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', awsRegion: 'us-east-1' };

  it('maps a message to a record with string system attributes and, as for a message sent without any, no message attributes', () => {
    expect(toSQSRecord(message, context)).toEqual({
      messageId: 'id-1',
      receiptHandle: 'handle-1',
      body: '{"a":1}',
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '1700000000000',
        SenderId: 'SENDER',
        ApproximateFirstReceiveTimestamp: '1700000001000',
      },
      messageAttributes: {},
      md5OfBody: 'body-md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    });
  });

  it('names the source queue of a dead-lettered message', () => {
    const record = toSQSRecord({ ...message, deadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:source' }, context);

    expect(record.attributes.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:000000000000:source');
  });
});
