/**
 * The SQS operations the local endpoint answers, over decoded AWS JSON 1.0 requests: the two the
 * service's adapters call (SendMessage, SendMessageBatch) and ReceiveMessage, with which tests read
 * a queue. Each takes the request object and returns the response object; failures are thrown as
 * SqsError.
 */
import { invalidAddress, queueDoesNotExist, SqsError } from './errors';
import type { ReceivedMessage } from './message-queue';
import type { QueueRuntime } from './queue-runtime';
import { integerInRange, MAX_BATCH_ENTRIES, MAX_WAIT_TIME_SECONDS, requiredString, sendBatchEntries, validatedMessage } from './validation';

export type Operation = (request: Record<string, unknown>, signal: AbortSignal) => object | Promise<object>;

export interface QueueDirectory {
  readonly accountId: string;
  find(name: string): QueueRuntime | undefined;
}

export interface OperationOptions {
  /** The SenderId stamped on sent messages. */
  readonly senderId: string;
}

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

// Skipped AWS behaviour: ReceiveMessage returns no system or message attributes (AttributeNames, MessageSystemAttributeNames and MessageAttributeNames are ignored).
const toWireMessage = (message: ReceivedMessage): object => ({
  MessageId: message.messageId,
  ReceiptHandle: message.receiptHandle,
  MD5OfBody: message.md5OfBody,
  Body: message.body,
});

/** The emulated operations, keyed by the name after `AmazonSQS.` in X-Amz-Target. */
export function sqsOperations(directory: QueueDirectory, options: OperationOptions): Readonly<Record<string, Operation>> {
  const send = (runtime: QueueRuntime, request: Record<string, unknown>) => {
    const sent = runtime.send({ ...validatedMessage(request), senderId: options.senderId });
    // AWS: the SDK recomputes this digest of the body it sent and throws on a mismatch.
    return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody };
  };

  return {
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
      // AWS: without WaitTimeSeconds the queue's ReceiveMessageWaitTimeSeconds (default 0, short polling) applies.
      const waitSeconds = integerInRange(request.WaitTimeSeconds, 'WaitTimeSeconds', 0, MAX_WAIT_TIME_SECONDS, 0);
      // Skipped AWS behaviour: a per-receive VisibilityTimeout; the queue's applies.
      // Skipped AWS behaviour: short polling samples a subset of servers and may miss messages; here every receive sees them all.
      const deadline = Date.now() + waitSeconds * 1000;
      for (;;) {
        // A long poll whose caller went away receives nothing, so no message is hidden for nobody.
        if (signal.aborted) return {};
        const received = runtime.receive({ maxMessages });
        // AWS: a long poll returns as soon as at least one message is available, not when MaxNumberOfMessages are.
        if (received.length > 0) return { Messages: received.map(toWireMessage) };
        if (Date.now() >= deadline) return {};
        await runtime.waitForMessages(deadline, signal);
        if (runtime.isClosed) return {};
      }
    },
  };
}
