/**
 * The SQS operations the local endpoint answers, over decoded AWS JSON 1.0 requests. Each takes
 * the request object and returns the response object; failures are thrown as SqsError.
 */
import {
  SqsError,
  invalidAddress,
  invalidAttributeName,
  invalidParameterValue,
  queueDoesNotExist,
} from './errors';
import { md5OfMessageAttributes, type StoredAttribute } from './md5';
import type { ReceivedMessage } from './message-queue';
import type { QueueRuntime } from './queue-runtime';
import {
  MAX_BATCH_ENTRIES,
  MAX_MESSAGE_BYTES,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  MAX_WAIT_TIME_SECONDS,
  batchEntries,
  integerInRange,
  requiredString,
  selectsAttribute,
  sendBatchEntries,
  validatedMessage,
} from './validation';

export type Operation = (request: Record<string, unknown>, signal: AbortSignal) => object | Promise<object>;

export interface QueueDirectory {
  readonly accountId: string;
  find(name: string): QueueRuntime | undefined;
}

export interface OperationOptions {
  /** The SenderId stamped on sent messages. */
  readonly senderId: string;
}

/** Operations of the SQS API that exist but are not emulated (answered with UnsupportedOperation). */
// Skipped AWS behaviour: queue management over the API (queues come from createQueue), visibility changes, purges, tags, permissions, message moves.
export const NOT_EMULATED = new Set([
  'AddPermission',
  'CancelMessageMoveTask',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'CreateQueue',
  'DeleteQueue',
  'ListDeadLetterSourceQueues',
  'ListMessageMoveTasks',
  'ListQueueTags',
  'ListQueues',
  'PurgeQueue',
  'RemovePermission',
  'SetQueueAttributes',
  'StartMessageMoveTask',
  'TagQueue',
  'UntagQueue',
]);

const QUEUE_ATTRIBUTE_NAMES = new Set([
  'All',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'ContentBasedDeduplication',
  'CreatedTimestamp',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoQueue',
  'FifoThroughputLimit',
  'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId',
  'LastModifiedTimestamp',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'RedriveAllowPolicy',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
]);

const stringList = (value: unknown, parameter: string): string[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameterValue(`Value for parameter ${parameter} must be a list of strings.`);
  }
  return value as string[];
};

/** Finds the queue a QueueUrl names: the path `/{accountId}/{queueName}`, whatever the host. */
const resolveQueue = (directory: QueueDirectory, value: unknown): QueueRuntime => {
  const queueUrl = requiredString(value, 'QueueUrl');
  let path: string;
  try {
    path = new URL(queueUrl).pathname;
  } catch {
    throw invalidAddress(queueUrl);
  }
  const [, accountId, name, ...rest] = path.split('/');
  const runtime = accountId === directory.accountId && rest.length === 0 && name !== undefined ? directory.find(name) : undefined;
  // AWS: queue URLs and names are case-sensitive; another account's queue does not exist for this caller.
  if (runtime === undefined) throw queueDoesNotExist();
  return runtime;
};

const toWireAttributes = (attributes: Readonly<Record<string, StoredAttribute>>): Record<string, object> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      attribute.binaryValue === undefined
        ? { DataType: attribute.dataType, StringValue: attribute.stringValue }
        : { DataType: attribute.dataType, BinaryValue: attribute.binaryValue.toString('base64') },
    ]),
  );

const systemAttributes = (message: ReceivedMessage): Record<string, string> => ({
  SenderId: message.senderId,
  SentTimestamp: String(message.sentTimestamp),
  ApproximateReceiveCount: String(message.receiveCount),
  ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
  ...(message.deadLetterQueueSourceArn === undefined ? {} : { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
});

const toWireMessage = (message: ReceivedMessage, systemNames: readonly string[], attributeNames: readonly string[]): object => {
  const all = systemNames.includes('All');
  // AWS: only the system attributes asked for (AttributeNames / MessageSystemAttributeNames) are returned.
  const attributes = Object.fromEntries(Object.entries(systemAttributes(message)).filter(([name]) => all || systemNames.includes(name)));
  // AWS: message attributes are returned only when MessageAttributeNames selects them; the digest covers those returned.
  const selected = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => selectsAttribute(attributeNames, name)));
  const md5OfAttributes = md5OfMessageAttributes(selected);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(md5OfAttributes === undefined ? {} : { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: toWireAttributes(selected) }),
  };
};

const queueAttributes = (runtime: QueueRuntime): Record<string, string> => {
  const { config } = runtime.queue;
  const counts = runtime.counts();
  const createdSeconds = String(Math.floor(config.createdAt / 1000));
  return {
    QueueArn: config.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    // AWS: both timestamps are epoch seconds; the local queues are never modified after creation.
    CreatedTimestamp: createdSeconds,
    LastModifiedTimestamp: createdSeconds,
    VisibilityTimeout: String(config.visibilityTimeoutSeconds),
    MaximumMessageSize: String(MAX_MESSAGE_BYTES),
    MessageRetentionPeriod: String(config.messageRetentionSeconds),
    DelaySeconds: String(config.delaySeconds),
    ReceiveMessageWaitTimeSeconds: '0',
    ...(config.redrive === undefined
      ? {}
      : {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: config.redrive.deadLetterQueue.config.arn, maxReceiveCount: config.redrive.maxReceiveCount }),
        }),
    // Skipped AWS behaviour: SqsManagedSseEnabled, Policy and the KMS/FIFO attributes are not emulated, so never returned.
  };
};

/** The emulated operations, keyed by the name after `AmazonSQS.` in X-Amz-Target. */
export function sqsOperations(directory: QueueDirectory, options: OperationOptions): Readonly<Record<string, Operation>> {
  const send = (runtime: QueueRuntime, request: Record<string, unknown>) => {
    const message = validatedMessage(request, runtime.queue.config.delaySeconds);
    const sent = runtime.send({ ...message, senderId: options.senderId });
    return {
      MessageId: sent.messageId,
      // AWS: the SDK recomputes this digest of the body it sent and throws on a mismatch.
      MD5OfMessageBody: sent.md5OfBody,
      ...(sent.md5OfMessageAttributes === undefined ? {} : { MD5OfMessageAttributes: sent.md5OfMessageAttributes }),
    };
  };

  return {
    GetQueueUrl: (request) => {
      const name = requiredString(request.QueueName, 'QueueName');
      const owner = request.QueueOwnerAWSAccountId;
      // AWS: a queue of another account is only found with its owner's id; this endpoint holds one account.
      const runtime = owner === undefined || owner === directory.accountId ? directory.find(name) : undefined;
      if (runtime === undefined) throw queueDoesNotExist();
      return { QueueUrl: runtime.queue.config.url };
    },

    SendMessage: (request) => send(resolveQueue(directory, request.QueueUrl), request),

    SendMessageBatch: (request) => {
      const runtime = resolveQueue(directory, request.QueueUrl);
      const successful: object[] = [];
      const failed: object[] = [];
      // Every entry is stored in this one synchronous pass, so a waiting consumer sees the whole batch at once.
      for (const entry of sendBatchEntries(request.Entries)) {
        try {
          successful.push({ Id: entry.Id, ...send(runtime, entry) });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          // AWS: an invalid entry fails on its own (Failed, SenderFault) while the others are sent. [VERIFY] for DelaySeconds out of range.
          failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      return { Successful: successful, Failed: failed };
    },

    ReceiveMessage: async (request, signal) => {
      const runtime = resolveQueue(directory, request.QueueUrl);
      // AWS: MaxNumberOfMessages defaults to 1.
      const maxMessages = integerInRange(request.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, MAX_BATCH_ENTRIES, 1);
      const visibilityTimeoutSeconds = integerInRange(request.VisibilityTimeout, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS, runtime.queue.config.visibilityTimeoutSeconds);
      // AWS: without WaitTimeSeconds the queue's ReceiveMessageWaitTimeSeconds (default 0, short polling) applies.
      const waitSeconds = integerInRange(request.WaitTimeSeconds, 'WaitTimeSeconds', 0, MAX_WAIT_TIME_SECONDS, 0);
      const systemNames = [...stringList(request.AttributeNames, 'AttributeNames'), ...stringList(request.MessageSystemAttributeNames, 'MessageSystemAttributeNames')];
      const attributeNames = stringList(request.MessageAttributeNames, 'MessageAttributeNames');
      // Skipped AWS behaviour: short polling samples a subset of servers and may miss messages; here every receive sees them all.
      const deadline = Date.now() + waitSeconds * 1000;
      for (;;) {
        // A long poll whose caller went away receives nothing, so no message is hidden for nobody.
        if (signal.aborted) return {};
        const received = runtime.receive({ maxMessages, visibilityTimeoutSeconds });
        // AWS: a long poll returns as soon as at least one message is available, not when MaxNumberOfMessages are.
        if (received.length > 0) return { Messages: received.map((message) => toWireMessage(message, systemNames, attributeNames)) };
        if (Date.now() >= deadline) return {};
        await runtime.waitForMessages(deadline, signal);
        if (runtime.isClosed) return {};
      }
    },

    DeleteMessage: (request) => {
      const runtime = resolveQueue(directory, request.QueueUrl);
      runtime.delete(requiredString(request.ReceiptHandle, 'ReceiptHandle'));
      return {};
    },

    DeleteMessageBatch: (request) => {
      const runtime = resolveQueue(directory, request.QueueUrl);
      const successful: object[] = [];
      const failed: object[] = [];
      for (const entry of batchEntries(request.Entries, 'DeleteMessageBatchRequestEntry')) {
        try {
          runtime.delete(requiredString(entry.ReceiptHandle, 'ReceiptHandle'));
          successful.push({ Id: entry.Id });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          // AWS: each entry succeeds or fails on its own.
          failed.push({ Id: entry.Id, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      return { Successful: successful, Failed: failed };
    },

    GetQueueAttributes: (request) => {
      const runtime = resolveQueue(directory, request.QueueUrl);
      const names = stringList(request.AttributeNames, 'AttributeNames');
      const unknown = names.find((name) => !QUEUE_ATTRIBUTE_NAMES.has(name));
      if (unknown !== undefined) throw invalidAttributeName(unknown);
      // AWS: without AttributeNames no attributes are returned.
      if (names.length === 0) return {};
      const all = queueAttributes(runtime);
      return { Attributes: Object.fromEntries(Object.entries(all).filter(([name]) => names.includes('All') || names.includes(name))) };
    },
  };
}
