/**
 * Request validation with SQS's limits and error codes. Pure functions over the decoded JSON
 * request, so the HTTP layer only routes.
 */
import {
  batchEntryIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidBatchEntryId,
  invalidMessageContents,
  invalidParameterValue,
  missingParameter,
  outOfRange,
  tooManyEntriesInBatchRequest,
} from './errors';

// AWS: the maximum message size is 1 MiB since 2025.
export const MAX_MESSAGE_BYTES = 1_048_576;
// AWS: DelaySeconds is 0 to 900 (15 minutes).
export const MAX_DELAY_SECONDS = 900;
// AWS: a visibility timeout is 0 s to 12 hours.
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
// AWS: long polling waits at most 20 s.
export const MAX_WAIT_TIME_SECONDS = 20;
// AWS: at most 10 messages per ReceiveMessage and per SendMessageBatch.
export const MAX_BATCH_ENTRIES = 10;

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** An optional integer parameter within [min, max]; `fallback` when absent. */
export const integerInRange = (value: unknown, parameter: string, min: number, max: number, fallback: number, reason?: string): number => {
  if (value === undefined || value === null) return fallback;
  if (!isInteger(value) || value < min || value > max) {
    throw outOfRange(parameter, value, reason ?? `Must be between ${min} and ${max}, if provided.`);
  }
  return value;
};

// AWS: a message's DelaySeconds defaults to the queue's, which is 0 for every local queue.
export const delaySeconds = (value: unknown): number =>
  integerInRange(value, 'DelaySeconds', 0, MAX_DELAY_SECONDS, 0, `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`);

export const requiredString = (value: unknown, parameter: string): string => {
  if (value === undefined || value === null || value === '') throw missingParameter(parameter);
  if (typeof value !== 'string') throw invalidParameterValue(`Value for parameter ${parameter} must be a string.`);
  return value;
};

// AWS: only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF may appear in a message (XML 1.0 characters).
const isAllowedCodePoint = (cp: number): boolean =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

/** The first code point a message may not contain, if any (lone surrogates included). */
const firstInvalidCharacter = (text: string): number | undefined => {
  for (const char of text) {
    const cp = char.codePointAt(0) as number;
    if (!isAllowedCodePoint(cp)) return cp;
  }
  return undefined;
};

const ALLOWED_CHARACTERS = '#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';

export const messageBody = (value: unknown): string => {
  // AWS: an empty body is a missing body.
  const body = requiredString(value, 'MessageBody');
  const invalid = firstInvalidCharacter(body);
  if (invalid !== undefined) {
    throw invalidMessageContents(
      `Invalid binary character '#x${invalid.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is ${ALLOWED_CHARACTERS}`,
    );
  }
  return body;
};

export interface ValidatedMessage {
  readonly body: string;
  readonly delaySeconds: number;
}

/** The message part of SendMessage or of one SendMessageBatch entry. */
export const validatedMessage = (request: Record<string, unknown>): ValidatedMessage => {
  // Skipped AWS behaviour: message attributes; the service sends none, so a request with some is refused rather than losing them.
  if (request.MessageAttributes !== undefined && request.MessageAttributes !== null) {
    throw invalidParameterValue('MessageAttributes are not emulated by the local SQS endpoint.');
  }
  const body = messageBody(request.MessageBody);
  const delay = delaySeconds(request.DelaySeconds);
  if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
  }
  // Skipped AWS behaviour: MessageSystemAttributes (AWSTraceHeader), MessageGroupId and MessageDeduplicationId are ignored (no FIFO, no X-Ray).
  return { body, delaySeconds: delay };
};

// AWS: a batch entry id is 1-80 alphanumerics, hyphens and underscores.
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** SendMessageBatch's `Entries` after the whole-request checks: 1 to 10 entries with distinct, well-formed ids and at most 1 MiB in all. */
export const sendBatchEntries = (value: unknown): Record<string, unknown>[] => {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0))
    throw emptyBatchRequest('SendMessageBatchRequestEntry');
  if (!Array.isArray(value)) throw invalidParameterValue('Entries must be a list.');
  if (value.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(value.length);
  const seen = new Set<string>();
  let total = 0;
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalidBatchEntryId();
    const { Id: id, MessageBody: body } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (seen.has(id)) throw batchEntryIdsNotDistinct(id);
    seen.add(id);
    if (typeof body === 'string') total += Buffer.byteLength(body);
  }
  // AWS: the sum of all messages in one batch must fit the single-message limit.
  if (total > MAX_MESSAGE_BYTES) throw batchRequestTooLong(total, MAX_MESSAGE_BYTES);
  return value as Record<string, unknown>[];
};

// AWS: queue names are 1-80 alphanumerics, hyphens and underscores (plus `.fifo` for FIFO queues, not emulated).
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export const isValidQueueName = (name: string): boolean => QUEUE_NAME.test(name);
