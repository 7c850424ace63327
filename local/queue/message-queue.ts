/**
 * One standard SQS queue as a state machine over explicit time (`now`, epoch ms), so its rules can
 * be tested without timers: delays, visibility timeouts, receive counts, receipt handles,
 * retention and redrive to a dead-letter queue. The HTTP endpoint and the event source mapping both drive it;
 * nothing here schedules anything.
 */
import { createHash, randomUUID } from 'node:crypto';

export interface RedrivePolicy {
  readonly deadLetterQueue: MessageQueue;
  /** AWS: 1 to 1000. */
  readonly maxReceiveCount: number;
}

export interface MessageQueueConfig {
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  /** AWS default: 4 days. */
  readonly messageRetentionSeconds: number;
  readonly redrive?: RedrivePolicy;
  /** Called whenever messages are added from outside a call on this queue (a dead-letter move). */
  readonly onMessagesAdded?: () => void;
}

export interface NewMessage {
  readonly body: string;
  readonly delaySeconds: number;
  readonly senderId: string;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly senderId: string;
  readonly sentTimestamp: number;
  /** When the retention period starts; AWS keeps the original enqueue time across a dead-letter move (standard queues). */
  readonly enqueuedAt: number;
  /** Bytes counted against Lambda's 6 MB batch payload. */
  readonly size: number;
  readonly deadLetterQueueSourceArn?: string;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp: number | undefined;
  receiptHandle: string | undefined;
}

/** What one receive hands out: a snapshot, unaffected by later receives of the same message. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly senderId: string;
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp: number;
  readonly size: number;
  readonly deadLetterQueueSourceArn?: string;
}

export interface SentMessage {
  readonly messageId: string;
  readonly md5OfBody: string;
}

export interface QueueCounts {
  /** ApproximateNumberOfMessages. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible. */
  readonly inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  readonly delayed: number;
}

export interface ReceiveOptions {
  /** 1 to 10 for ReceiveMessage; the event source mapping asks for up to 10 per poll as well. */
  readonly maxMessages: number;
  /** Stop before the total size of the received messages would pass this. */
  readonly maxBytes?: number;
}

// AWS: MD5OfBody is the hex MD5 of the body's UTF-8 bytes; the SDK recomputes it on SendMessage, SendMessageBatch and ReceiveMessage and throws on a mismatch.
export const md5OfBody = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/** Receipt handles name their queue and message, plus a nonce per receive. */
const encodeReceiptHandle = (queueName: string, messageId: string): string =>
  Buffer.from(`${queueName}\n${messageId}\n${randomUUID()}`, 'utf8').toString('base64');

const decodeReceiptHandle = (handle: string): { queueName: string; messageId: string } | undefined => {
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('\n');
  return parts.length === 3 ? { queueName: parts[0], messageId: parts[1] } : undefined;
};

export class MessageQueue {
  // Insertion order doubles as a best-effort FIFO order; AWS standard queues promise no order at all.
  private readonly messages = new Map<string, StoredMessage>();

  constructor(readonly config: MessageQueueConfig) {}

  get name(): string {
    return this.config.name;
  }

  send(message: NewMessage, now: number): SentMessage {
    this.expire(now);
    const stored: StoredMessage = {
      messageId: randomUUID(),
      body: message.body,
      md5OfBody: md5OfBody(message.body),
      senderId: message.senderId,
      sentTimestamp: now,
      enqueuedAt: now,
      size: Buffer.byteLength(message.body),
      // AWS: DelaySeconds hides a new message from consumers for that long.
      visibleAt: now + message.delaySeconds * 1000,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      receiptHandle: undefined,
    };
    this.messages.set(stored.messageId, stored);
    return { messageId: stored.messageId, md5OfBody: stored.md5OfBody };
  }

  /**
   * Takes up to `maxMessages` visible messages and hides them for the visibility timeout. A
   * message already received `maxReceiveCount` times moves to the dead-letter queue instead.
   */
  receive(options: ReceiveOptions, now: number): ReceivedMessage[] {
    // Skipped AWS behaviour: the 120,000 in-flight message limit (OverLimit) and the 12-hour cap on total invisibility.
    this.expire(now);
    const visibilityMs = this.config.visibilityTimeoutSeconds * 1000;
    const received: ReceivedMessage[] = [];
    let bytes = 0;
    for (const message of this.messages.values()) {
      if (received.length >= options.maxMessages) break;
      if (message.visibleAt > now) continue;
      const redrive = this.config.redrive;
      // AWS: when a receive would push ReceiveCount past maxReceiveCount, the message moves to the dead-letter queue instead.
      if (redrive !== undefined && message.receiveCount >= redrive.maxReceiveCount) {
        this.messages.delete(message.messageId);
        redrive.deadLetterQueue.acceptDeadLetter(message, this.config.arn, now);
        continue;
      }
      if (options.maxBytes !== undefined && bytes + message.size > options.maxBytes) break;
      bytes += message.size;
      // AWS: each receive counts (ApproximateReceiveCount), hides the message for the visibility timeout and issues a new receipt handle.
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + visibilityMs;
      message.receiptHandle = encodeReceiptHandle(this.config.name, message.messageId);
      received.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        md5OfBody: message.md5OfBody,
        senderId: message.senderId,
        sentTimestamp: message.sentTimestamp,
        receiveCount: message.receiveCount,
        firstReceiveTimestamp: message.firstReceiveTimestamp,
        size: message.size,
        ...(message.deadLetterQueueSourceArn === undefined ? {} : { deadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
      });
    }
    return received;
  }

  /** Deletes the message a receipt handle was issued for; false for an outdated handle or one of another queue. */
  delete(receiptHandle: string, now: number): boolean {
    this.expire(now);
    const decoded = decodeReceiptHandle(receiptHandle);
    if (decoded === undefined || decoded.queueName !== this.config.name) return false;
    const message = this.messages.get(decoded.messageId);
    // AWS: an old receipt handle (the message was received again since, or is already gone) succeeds without deleting anything.
    if (message === undefined || message.receiptHandle !== receiptHandle) return false;
    // AWS: the latest handle deletes the message even after its visibility timeout has run out, until it is received again.
    this.messages.delete(message.messageId);
    return true;
  }

  counts(now: number): QueueCounts {
    this.expire(now);
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Visible + delayed + in flight. */
  depth(now: number): number {
    this.expire(now);
    return this.messages.size;
  }

  hasVisible(now: number): boolean {
    this.expire(now);
    for (const message of this.messages.values()) if (message.visibleAt <= now) return true;
    return false;
  }

  /** The earliest moment after `now` at which a hidden (delayed or in-flight) message becomes visible. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next)) next = message.visibleAt;
    }
    return next;
  }

  private acceptDeadLetter(message: StoredMessage, sourceArn: string, now: number): void {
    this.expire(now);
    // AWS: the message keeps its id, body, timestamps and receive count, and is visible at once in the dead-letter queue.
    this.messages.set(message.messageId, {
      ...message,
      deadLetterQueueSourceArn: sourceArn,
      visibleAt: now,
      receiptHandle: undefined,
    });
    this.config.onMessagesAdded?.();
  }

  private expire(now: number): void {
    const retentionMs = this.config.messageRetentionSeconds * 1000;
    // AWS: messages older than the retention period are deleted, received or not.
    for (const message of this.messages.values()) if (message.enqueuedAt + retentionMs <= now) this.messages.delete(message.messageId);
  }
}
