/**
 * The record Lambda builds from a received SQS message (how it reads the function's answer is
 * shared with the stream: local/lambda/event-source-mapping.ts).
 */
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { RecordContext } from '../lambda/event-source-mapping';
import type { ReceivedMessage, StoredAttribute } from './message-queue';

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
export const toSQSRecord = (message: ReceivedMessage, context: RecordContext): SQSRecord => ({
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
