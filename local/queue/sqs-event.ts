/**
 * The record Lambda builds from a received SQS message (how it reads the function's answer is
 * shared with the stream: local/lambda/event-source-mapping.ts).
 */
import type { SQSRecord } from 'aws-lambda';
import type { RecordContext } from '../lambda/event-source-mapping';
import type { ReceivedMessage } from './message-queue';

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
  // Skipped AWS behaviour: message attributes (the local SendMessage refuses them), so the map is empty and md5OfMessageAttributes absent, as for a message sent without any.
  messageAttributes: {},
  md5OfBody: message.md5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: context.eventSourceARN,
  awsRegion: context.awsRegion,
});
