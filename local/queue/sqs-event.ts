/**
 * The Lambda side of an SQS event source mapping, as pure functions: the record shape Lambda
 * builds from a received message, and how it reads the function's response.
 */
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { ReceivedMessage, StoredAttribute } from './message-queue';

export interface RecordContext {
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

// AWS: Lambda's lower-camel attribute shape; the list values are always present and empty (reserved by SQS).
const toLambdaAttributes = (attributes: Readonly<Record<string, StoredAttribute>>): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      {
        ...(attribute.binaryValue === undefined ? { stringValue: attribute.stringValue } : { binaryValue: attribute.binaryValue.toString('base64') }),
        stringListValues: [],
        binaryListValues: [],
        dataType: attribute.dataType,
      },
    ]),
  );

/** One record of the Lambda SQS event, as Lambda builds it from a received message. */
export const toLambdaRecord = (message: ReceivedMessage, context: RecordContext): SQSRecord => ({
  messageId: message.messageId,
  receiptHandle: message.receiptHandle,
  body: message.body,
  // AWS: a standard queue's records carry these four system attributes, all as strings (epoch ms timestamps).
  attributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentTimestamp),
    SenderId: message.senderId,
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
    ...(message.deadLetterQueueSourceArn === undefined ? {} : { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
  },
  messageAttributes: toLambdaAttributes(message.attributes),
  md5OfBody: message.md5OfBody,
  // AWS: md5OfMessageAttributes appears only when the message has attributes.
  ...(message.md5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes: message.md5OfMessageAttributes }),
  eventSource: 'aws:sqs',
  eventSourceARN: context.eventSourceARN,
  awsRegion: context.awsRegion,
});

export type BatchOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly failedMessageIds: ReadonlySet<string> }
  | { readonly kind: 'failure'; readonly reason: string };

/**
 * How Lambda reads a successful invocation's response for an SQS batch. Without
 * `ReportBatchItemFailures` any normal return deletes the whole batch; with it, listed message ids
 * stay in the queue and a malformed list fails the whole batch.
 */
export function interpretBatchResponse(response: unknown, batchMessageIds: readonly string[], reportBatchItemFailures: boolean): BatchOutcome {
  // AWS: without FunctionResponseTypes ReportBatchItemFailures the response is ignored and a return means success.
  if (!reportBatchItemFailures) return { kind: 'success' };
  // AWS: a null/empty response, or a null/empty batchItemFailures list, is complete success.
  if (response === null || response === undefined) return { kind: 'success' };
  // [INF] a response that is not an object cannot be an SQSBatchResponse.
  if (typeof response !== 'object' || Array.isArray(response)) return { kind: 'failure', reason: 'the response is not an object' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const inBatch = new Set(batchMessageIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    // AWS: an empty, null or missing itemIdentifier (e.g. a misspelt key) fails the whole batch.
    if (typeof id !== 'string' || id === '') return { kind: 'failure', reason: `invalid batch item failure ${JSON.stringify(failure)}` };
    // AWS: an itemIdentifier that is not a message id of this batch fails the whole batch.
    if (!inBatch.has(id)) return { kind: 'failure', reason: `itemIdentifier ${JSON.stringify(id)} is not a message id of this batch` };
    failed.add(id);
  }
  return { kind: 'partial', failedMessageIds: failed };
}
