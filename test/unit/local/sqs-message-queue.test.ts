/**
 * One standard queue's rules over explicit time: delays, visibility timeouts, receive counts,
 * receipt handles, retention and the redrive to a dead-letter queue.
 */
import { MessageQueue, type MessageQueueConfig, type NewMessage } from '../../../local/queue/message-queue';

const T0 = 1_700_000_000_000;

const queue = (name: string, overrides: Partial<MessageQueueConfig> = {}) =>
  new MessageQueue({
    name,
    arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
    ...overrides,
  });

const message = (body: string, delaySeconds = 0): NewMessage => ({ body, delaySeconds, senderId: 'SENDER' });
const bodies = (received: { body: string }[]) => received.map((item) => item.body);

describe('MessageQueue', () => {
  it('hides a delayed message until its delay has passed', () => {
    const q = queue('q');
    q.send(message('later', 5), T0);

    expect(q.receive({ maxMessages: 10 }, T0 + 4_999)).toEqual([]);
    expect(q.counts(T0 + 4_999)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(q.nextVisibleAt(T0)).toBe(T0 + 5_000);
    expect(bodies(q.receive({ maxMessages: 10 }, T0 + 5_000))).toEqual(['later']);
  });

  it('hides a received message for the visibility timeout, then hands it out again with a new handle and count', () => {
    const q = queue('q', { visibilityTimeoutSeconds: 2 });
    const sent = q.send(message('m'), T0);

    const [first] = q.receive({ maxMessages: 1 }, T0);
    const during = q.receive({ maxMessages: 1 }, T0 + 1_999);
    const [second] = q.receive({ maxMessages: 1 }, T0 + 2_000);

    expect(first).toMatchObject({ messageId: sent.messageId, receiveCount: 1, firstReceiveTimestamp: T0, sentTimestamp: T0 });
    expect(q.counts(T0 + 1)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(during).toEqual([]);
    expect(second).toMatchObject({ messageId: sent.messageId, receiveCount: 2, firstReceiveTimestamp: T0 });
    expect(second.receiptHandle).not.toBe(first.receiptHandle);
  });

  it('deletes with the latest receipt handle, even after the visibility timeout ran out', () => {
    const q = queue('q', { visibilityTimeoutSeconds: 1 });
    q.send(message('m'), T0);
    const [received] = q.receive({ maxMessages: 1 }, T0);

    expect(q.delete(received.receiptHandle, T0 + 5_000)).toBe(true);
    expect(q.depth(T0 + 5_000)).toBe(0);
  });

  it('accepts an outdated receipt handle without deleting the message', () => {
    const q = queue('q', { visibilityTimeoutSeconds: 1 });
    q.send(message('m'), T0);
    const [first] = q.receive({ maxMessages: 1 }, T0);
    q.receive({ maxMessages: 1 }, T0 + 1_000);

    expect(q.delete(first.receiptHandle, T0 + 1_001)).toBe(false);
    expect(q.depth(T0 + 1_001)).toBe(1);
  });

  it('deletes nothing with a receipt handle of another queue', () => {
    const q = queue('q');
    const other = queue('other');
    q.send(message('m'), T0);
    other.send(message('m'), T0);
    const [foreign] = other.receive({ maxMessages: 1 }, T0);

    expect(q.delete(foreign.receiptHandle, T0)).toBe(false);
    expect(q.depth(T0)).toBe(1);
    expect(other.depth(T0)).toBe(1);
  });

  it('moves a message to the dead-letter queue on the receive after maxReceiveCount, keeping id, count and send time', () => {
    const onMessagesAdded = jest.fn();
    const dlq = queue('dlq', { onMessagesAdded });
    const q = queue('q', { visibilityTimeoutSeconds: 1, redrive: { deadLetterQueue: dlq, maxReceiveCount: 2 } });
    const sent = q.send(message('poison'), T0);

    const deliveries = [
      q.receive({ maxMessages: 1 }, T0),
      q.receive({ maxMessages: 1 }, T0 + 1_000),
      q.receive({ maxMessages: 1 }, T0 + 2_000),
    ];
    const [dead] = dlq.receive({ maxMessages: 1 }, T0 + 2_000);

    expect(deliveries.map((received) => received.length)).toEqual([1, 1, 0]);
    expect(q.depth(T0 + 2_000)).toBe(0);
    expect(onMessagesAdded).toHaveBeenCalledTimes(1);
    expect(dead).toMatchObject({
      messageId: sent.messageId,
      body: 'poison',
      sentTimestamp: T0,
      receiveCount: 3,
      deadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    });
  });

  it('drops messages older than the retention period', () => {
    const q = queue('q', { messageRetentionSeconds: 60 });
    q.send(message('old'), T0);

    expect(q.depth(T0 + 59_999)).toBe(1);
    expect(q.depth(T0 + 60_000)).toBe(0);
  });

  it('hands out at most maxMessages and stops before maxBytes', () => {
    const q = queue('q');
    for (const body of ['aaaa', 'bbbb', 'cccc']) q.send(message(body), T0);

    expect(bodies(q.receive({ maxMessages: 2 }, T0))).toEqual(['aaaa', 'bbbb']);
    q.send(message('dddd'), T0);
    expect(bodies(q.receive({ maxMessages: 10, maxBytes: 7 }, T0))).toEqual(['cccc']);
  });

  it.each([
    ['an ASCII body', 'hello', '5d41402abc4b2a76b9719d911017c592'],
    // MD5 of the bytes C3 A9: the UTF-8 encoding, which is what the SDK hashes.
    ['the UTF-8 bytes of a non-ASCII body', 'é', '66ddcd97cfdeabb2f6fb8a999b4bc76f'],
  ])('returns the MD5 of %s on send and on receive', (_name, body, expected) => {
    const q = queue('q');

    const sent = q.send(message(body), T0);
    const [received] = q.receive({ maxMessages: 1 }, T0);

    expect(sent.md5OfBody).toBe(expected);
    expect(received.md5OfBody).toBe(expected);
  });
});
