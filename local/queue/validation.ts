/**
 * Request validation with SQS's limits and error codes. Pure functions over the decoded JSON
 * request, so the HTTP layer only routes.
 */
import {
  SqsError,
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
import { isBinaryType, type StoredAttribute } from './md5';

// AWS: the maximum message size (body plus attribute names, types and values) is 1 MiB since 2025.
export const MAX_MESSAGE_BYTES = 1_048_576;
// AWS: DelaySeconds is 0 to 900 (15 minutes).
export const MAX_DELAY_SECONDS = 900;
// AWS: a visibility timeout is 0 s to 12 hours.
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
// AWS: long polling waits at most 20 s.
export const MAX_WAIT_TIME_SECONDS = 20;
// AWS: at most 10 messages per ReceiveMessage and per SendMessageBatch.
export const MAX_BATCH_ENTRIES = 10;
// AWS: at most 10 message attributes per message.
export const MAX_MESSAGE_ATTRIBUTES = 10;

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** An optional integer parameter within [min, max]; `fallback` when absent. */
export const integerInRange = (value: unknown, parameter: string, min: number, max: number, fallback: number, reason?: string): number => {
  if (value === undefined || value === null) return fallback;
  if (!isInteger(value) || value < min || value > max) {
    throw outOfRange(parameter, value, reason ?? `Must be between ${min} and ${max}, if provided.`);
  }
  return value;
};

export const delaySeconds = (value: unknown, fallback = 0): number =>
  integerInRange(value, 'DelaySeconds', 0, MAX_DELAY_SECONDS, fallback, `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`);

export const requiredString = (value: unknown, parameter: string): string => {
  if (value === undefined || value === null || value === '') throw missingParameter(parameter);
  if (typeof value !== 'string') throw invalidParameterValue(`Value for parameter ${parameter} must be a string.`);
  return value;
};

// AWS: only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF may appear in a message (XML 1.0 characters).
const isAllowedCodePoint = (cp: number): boolean =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

/** The first code point a message may not contain, if any (lone surrogates included). */
export const firstInvalidCharacter = (text: string): number | undefined => {
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

// AWS: names are up to 256 of [A-Za-z0-9_.-], not starting with AWS./Amazon. (any case), no leading/trailing or double dots.
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const RESERVED_PREFIX = /^(aws\.|amazon\.)/i;
// AWS: a data type is String, Number or Binary, optionally followed by `.customLabel`; 256 characters at most.
const DATA_TYPE = /^(String|Number|Binary)(\.[A-Za-z0-9_.-]*)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const attributeError = (name: string, reason: string) => invalidParameterValue(`Message (user) attribute '${name}' ${reason}`);

const parseAttribute = (name: string, raw: unknown): StoredAttribute => {
  if (!ATTRIBUTE_NAME.test(name) || RESERVED_PREFIX.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw attributeError(name, 'must be an object.');
  const { DataType: dataType, StringValue: stringValue, BinaryValue: binaryValue } = raw as Record<string, unknown>;
  if (typeof dataType !== 'string' || dataType === '') throw attributeError(name, 'must contain a non-empty message attribute type.');
  if (dataType.length > 256 || !DATA_TYPE.test(dataType)) {
    throw attributeError(name, 'has an invalid type. You must use only the following supported type prefixes: Binary, Number, String.');
  }
  // Skipped AWS behaviour: StringListValues / BinaryListValues are "reserved for future use" and ignored.
  if (isBinaryType(dataType)) {
    if (typeof binaryValue !== 'string' || binaryValue === '' || !BASE64.test(binaryValue)) {
      throw attributeError(name, `must contain a non-empty message attribute value for message attribute type '${dataType}'.`);
    }
    return { dataType, binaryValue: Buffer.from(binaryValue, 'base64') };
  }
  if (typeof stringValue !== 'string' || stringValue === '') {
    throw attributeError(name, `must contain a non-empty message attribute value for message attribute type '${dataType}'.`);
  }
  // Skipped AWS behaviour: Number's 38-digit precision and -10^128..10^126 range are not checked, only the syntax.
  if (dataType.startsWith('Number') && !NUMBER.test(stringValue)) throw attributeError(name, "can't be cast to a number.");
  // [VERIFY] the error code AWS uses for a disallowed character in an attribute value.
  if (firstInvalidCharacter(stringValue) !== undefined) throw attributeError(name, 'contains a character that is not allowed.');
  return { dataType, stringValue };
};

/** `MessageAttributes` of a send request, validated. */
export const messageAttributes = (value: unknown): Record<string, StoredAttribute> => {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameterValue('MessageAttributes must be a map.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`);
  }
  return Object.fromEntries(entries.map(([name, raw]) => [name, parseAttribute(name, raw)]));
};

/** Bytes that count against the message size limit: body plus every attribute's name, type and value. */
export const messageSize = (body: string, attributes: Readonly<Record<string, StoredAttribute>>): number =>
  Object.entries(attributes).reduce(
    (total, [name, attribute]) =>
      total +
      Buffer.byteLength(name) +
      Buffer.byteLength(attribute.dataType) +
      (attribute.binaryValue?.length ?? Buffer.byteLength(attribute.stringValue ?? '')),
    Buffer.byteLength(body),
  );

export interface ValidatedMessage {
  readonly body: string;
  readonly attributes: Record<string, StoredAttribute>;
  readonly delaySeconds: number;
  readonly size: number;
}

/** The message part of SendMessage or of one SendMessageBatch entry. */
export const validatedMessage = (request: Record<string, unknown>, queueDelaySeconds: number): ValidatedMessage => {
  const body = messageBody(request.MessageBody);
  const attributes = messageAttributes(request.MessageAttributes);
  // AWS: a message's own DelaySeconds overrides the queue's default delay.
  const delay = delaySeconds(request.DelaySeconds, queueDelaySeconds);
  const size = messageSize(body, attributes);
  if (size > MAX_MESSAGE_BYTES) {
    throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
  }
  // Skipped AWS behaviour: MessageSystemAttributes (AWSTraceHeader), MessageGroupId and MessageDeduplicationId are ignored (no FIFO, no X-Ray).
  return { body, attributes, delaySeconds: delay, size };
};

// AWS: a batch entry id is 1-80 alphanumerics, hyphens and underscores.
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The `Entries` of a batch request after the whole-request checks: 1 to 10 entries with distinct, well-formed ids. */
export const batchEntries = (value: unknown, entryType: string): Record<string, unknown>[] => {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) throw emptyBatchRequest(entryType);
  if (!Array.isArray(value)) throw invalidParameterValue('Entries must be a list.');
  if (value.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(value.length);
  const seen = new Set<string>();
  for (const entry of value) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalidBatchEntryId();
    const id = (entry as Record<string, unknown>).Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (seen.has(id)) throw batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return value as Record<string, unknown>[];
};

/** SendMessageBatch's entries: the batch checks plus the total size. */
export const sendBatchEntries = (value: unknown): Record<string, unknown>[] => {
  const entries = batchEntries(value, 'SendMessageBatchRequestEntry');
  let total = 0;
  for (const { MessageBody: body, MessageAttributes: attributes } of entries) {
    if (typeof body !== 'string') continue;
    try {
      total += messageSize(body, messageAttributes(attributes));
    } catch (error) {
      // An entry with invalid attributes fails on its own later; count its body only.
      if (!(error instanceof SqsError)) throw error;
      total += Buffer.byteLength(body);
    }
  }
  // AWS: the sum of all messages in one batch must fit the single-message limit.
  if (total > MAX_MESSAGE_BYTES) throw batchRequestTooLong(total, MAX_MESSAGE_BYTES);
  return entries;
};

// AWS: queue names are 1-80 alphanumerics, hyphens and underscores (plus `.fifo` for FIFO queues).
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export const isValidQueueName = (name: string): boolean => QUEUE_NAME.test(name);

/**
 * Whether ReceiveMessage's `MessageAttributeNames` selects an attribute: `All` or `.*` for all,
 * `prefix.*` for a prefix, otherwise an exact (case-sensitive) name.
 */
export const selectsAttribute = (requested: readonly string[], name: string): boolean =>
  requested.some((pattern) => {
    if (pattern === 'All' || pattern === '.*') return true;
    if (pattern.endsWith('.*')) return name.startsWith(pattern.slice(0, -1));
    return pattern === name;
  });
