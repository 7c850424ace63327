/**
 * Pure pieces of the stream poller: DynamoDB Streams wire records -> Lambda records, TTL-delete
 * normalisation, sequence-number arithmetic and `FilterCriteria` matching. No I/O here, so all of
 * it is unit-tested.
 */
import type { DynamoDBRecord, StreamRecord } from 'aws-lambda';
import { assertIsError } from '../../lambdas/domain/errors';
import type { RecordContext } from '../lambda/event-source-mapping';
import { InvalidFilterPatternError, UnknownStreamEventError } from './errors';

/** A record as `GetRecords` puts it on the wire (awsJson 1.0: member names, epoch seconds, base64 blobs). */
export interface RawStreamRecord {
  eventID?: string;
  eventName?: string;
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  dynamodb?: StreamRecord;
  userIdentity?: { PrincipalId?: string; Type?: string };
}

const LAMBDA_EVENT_NAMES = new Set(['INSERT', 'MODIFY', 'REMOVE']);

/** DynamoDB Local floors ApproximateCreationDateTime to the minute (observed with 3.3.1). */
export const CREATION_TIME_SLACK_SECONDS = 60;

/** What AWS puts in `userIdentity` for deletes made by the TTL process (TTL-01). */
export const TTL_SERVICE_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/** The stream ARN as the Lambda event shows it (real region/account, not DynamoDB Local's), and the table's TTL. */
export interface StreamRecordContext extends RecordContext {
  /** The table's TTL attribute when TTL is enabled; undefined: TTL disabled, so no TTL deletes exist. */
  readonly ttlAttribute?: string;
}

export interface ConvertedRecord {
  readonly record: DynamoDBRecord;
  /** True when a DynamoDB Local TTL delete was rewritten to AWS's REMOVE + service identity (TTL-02). */
  readonly normalisedTtlDelete: boolean;
}

/**
 * Turns a `GetRecords` wire record into the record a Lambda handler receives (DDB-01, DDB-04).
 * Throws {@link UnknownStreamEventError} for an unknown `eventName` that is not a TTL delete.
 */
export function toDynamoDBRecord(raw: RawStreamRecord, context: StreamRecordContext): ConvertedRecord {
  const ttlDelete = !LAMBDA_EVENT_NAMES.has(raw.eventName ?? '');
  if (ttlDelete && !isTtlDeleteShape(raw, context.ttlAttribute)) throw new UnknownStreamEventError(raw);
  const userIdentity = ttlDelete
    ? // TTL-02: DynamoDB Local 3.x emits TTL deletes as UNKNOWN_TO_SDK_VERSION without userIdentity; AWS sends REMOVE + service identity.
      { ...TTL_SERVICE_IDENTITY }
    : raw.userIdentity === undefined
      ? undefined
      : // DDB-04: the wire has member names (PrincipalId/Type); Lambda events use lower-camel.
        { type: raw.userIdentity.Type, principalId: raw.userIdentity.PrincipalId };
  const record: DynamoDBRecord = {
    eventID: raw.eventID,
    eventName: (ttlDelete ? 'REMOVE' : raw.eventName) as DynamoDBRecord['eventName'],
    eventVersion: raw.eventVersion,
    eventSource: raw.eventSource,
    // DDBL-02: DynamoDB Local says "ddblocal"; the handler sees the configured region.
    awsRegion: context.awsRegion,
    // DDB-04: the wire already has epoch-seconds ApproximateCreationDateTime and base64 B/BS, as Lambda delivers them.
    dynamodb: raw.dynamodb,
    // DDB-01: GetRecords has no eventSourceARN; Lambda adds the stream ARN.
    eventSourceARN: context.eventSourceARN,
  };
  // DDB-01: userIdentity only exists on service (TTL) deletes; user writes and deletes have none.
  if (userIdentity !== undefined) record.userIdentity = userIdentity;
  return { record, normalisedTtlDelete: ttlDelete };
}

/**
 * A TTL delete has keys and no new image; when the old image is there, its TTL attribute must be
 * a number no later than the (minute-floored) deletion time.
 */
function isTtlDeleteShape(raw: RawStreamRecord, ttlAttribute: string | undefined): boolean {
  const data = raw.dynamodb;
  if (ttlAttribute === undefined || data === undefined) return false;
  if (data.NewImage !== undefined || (data.Keys === undefined && data.OldImage === undefined)) return false;
  if (data.OldImage === undefined) return true; // KEYS_ONLY / NEW_IMAGE streams carry no TTL value to check.
  const expiresAt = Number(data.OldImage[ttlAttribute]?.N);
  const deletedAt = data.ApproximateCreationDateTime;
  return Number.isFinite(expiresAt) && typeof deletedAt === 'number' && expiresAt <= deletedAt + CREATION_TIME_SLACK_SECONDS;
}

/** `arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/L` -> the same ARN in the given region/account. */
export function rewriteArn(arn: string, region: string, accountId: string): string {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') throw new Error(`Not an ARN: ${arn}`);
  parts[3] = region;
  parts[4] = accountId;
  return parts.join(':');
}

/**
 * ESM-01: which of a shard's `lanes` (its ParallelizationFactor) a record goes to: a hash of its
 * partition key's value, so every record of one key goes to one lane, in stream order.
 */
export function laneOf(record: DynamoDBRecord, partitionKey: string, lanes: number): number {
  if (lanes === 1) return 0;
  // FNV-1a over the key's JSON ({"S": "..."}): stable, cheap, and spreads similar keys apart.
  const key = JSON.stringify(record.dynamodb?.Keys?.[partitionKey] ?? null);
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

// ---------------------------------------------------------------------------------------------
// Sequence numbers

/** DDB-05: sequence numbers are decimal strings of 21+ digits; compare them as BigInt, never as Number or text. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = parseSequenceNumber(a);
  const y = parseSequenceNumber(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ESM-04: where a stream retries from after a partial failure: the lowest sequence number reported. */
export function lowestSequenceNumber(sequenceNumbers: readonly string[]): string | undefined {
  return sequenceNumbers.reduce<string | undefined>(
    (lowest, id) => (lowest === undefined || compareSequenceNumbers(id, lowest) < 0 ? id : lowest),
    undefined,
  );
}

function parseSequenceNumber(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new Error(`Not a sequence number: ${JSON.stringify(value)}`);
  return BigInt(value);
}

// ---------------------------------------------------------------------------------------------
// FilterCriteria (EventBridge pattern subset, FLT-01..05)

type Pattern = { readonly [key: string]: readonly unknown[] | Pattern };

const OPERATORS = new Set(['exists', 'prefix', 'suffix', 'anything-but', 'equals-ignore-case', 'numeric']);

/**
 * FLT-05: validates patterns the way CreateEventSourceMapping does, so a bad pattern fails at start-up
 * rather than silently matching nothing. Accepts plain pattern objects, their JSON text, or
 * `{ pattern | Pattern: "<json>" }` (the shape of CDK's `FilterCriteria.filter()` and of the API).
 */
export function parseFilterPatterns(filters: readonly unknown[]): Pattern[] {
  // FLT-01: 5 filters by default, 10 with a quota increase; beyond that AWS refuses the mapping.
  if (filters.length > 10) throw new InvalidFilterPatternError('At most 10 filters per event source mapping', filters);
  return filters.map((filter) => {
    let pattern: unknown = filter;
    if (typeof pattern === 'string') pattern = parseJson(pattern);
    const wrapped = pattern as { pattern?: unknown; Pattern?: unknown };
    if (isPlainObject(pattern) && Object.keys(pattern).length === 1 && typeof (wrapped.pattern ?? wrapped.Pattern) === 'string') {
      pattern = parseJson((wrapped.pattern ?? wrapped.Pattern) as string);
    }
    validatePattern(pattern, pattern);
    return pattern as Pattern;
  });
}

/** True when the pattern uses `numeric`, which DynamoDB filters do not support (FLT-04). */
export function usesNumericOperator(pattern: Pattern): boolean {
  return Object.values(pattern).some((rule) =>
    Array.isArray(rule) ? rule.some((m) => isPlainObject(m) && 'numeric' in m) : usesNumericOperator(rule as Pattern),
  );
}

/** FLT-01: filters are ORed; a record with no filters configured always passes. */
export function matchesAnyFilter(record: unknown, patterns: readonly Pattern[]): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(record, pattern));
}

/** FLT-01/02: every field of the pattern must match (AND); fields the pattern does not name are ignored. */
export function matchesPattern(value: unknown, pattern: Pattern): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const present = isPlainObject(value) && Object.hasOwn(value, key);
    const field = present ? (value as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(rule)) return present && isPlainObject(field) && matchesPattern(field, rule as Pattern);
    return matchesLeaf(rule, present, field);
  });
}

function matchesLeaf(rules: readonly unknown[], present: boolean, field: unknown): boolean {
  // FLT-01: a field named in the pattern must exist, unless the rule is {"exists": false}.
  if (!present) return rules.some((rule) => isPlainObject(rule) && rule.exists === false);
  // FLT-04: rules (including exists) apply to leaves only; an intermediate node never matches.
  if (isPlainObject(field)) return false;
  // EventBridge: an array value matches when any of its elements does.
  const values = Array.isArray(field) ? field : [field];
  return rules.some((rule) => (isPlainObject(rule) && 'exists' in rule ? rule.exists === true : values.some((v) => matchesRule(rule, v))));
}

function matchesRule(rule: unknown, value: unknown): boolean {
  if (!isPlainObject(rule)) return rule === value; // FLT-03: exact match, no normalisation ("300" != "300.0").
  const [operator, operand] = Object.entries(rule)[0] as [string, unknown];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(operand as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'anything-but': {
      if (isPlainObject(operand)) return !matchesRule(operand, value);
      const excluded = Array.isArray(operand) ? operand : [operand];
      return (typeof value === 'string' || typeof value === 'number') && !excluded.includes(value);
    }
    case 'numeric':
      // FLT-04: numeric operators are not supported for DynamoDB (N values are strings); never match.
      return false;
    default:
      return false;
  }
}

function validatePattern(node: unknown, whole: unknown): void {
  if (!isPlainObject(node) || Object.keys(node).length === 0) {
    throw new InvalidFilterPatternError('A filter pattern must be a non-empty JSON object', whole);
  }
  for (const [key, rule] of Object.entries(node)) {
    if (key.startsWith('$')) throw new InvalidFilterPatternError(`Unsupported pattern key ${key}`, whole);
    if (Array.isArray(rule)) {
      if (rule.length === 0) throw new InvalidFilterPatternError(`Empty rule list for ${key}`, whole);
      rule.forEach((matcher) => validateMatcher(matcher, whole));
    } else if (isPlainObject(rule)) {
      validatePattern(rule, whole);
    } else {
      throw new InvalidFilterPatternError(`Rule for ${key} must be a list or an object`, whole);
    }
  }
}

function validateMatcher(matcher: unknown, whole: unknown): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (!isPlainObject(matcher) || Object.keys(matcher).length !== 1) {
    throw new InvalidFilterPatternError('A matcher must be a scalar, null, or an object with one operator', whole);
  }
  const [operator, operand] = Object.entries(matcher)[0] as [string, unknown];
  if (!OPERATORS.has(operator)) throw new InvalidFilterPatternError(`Unsupported filter operator ${operator}`, whole);
  const ok =
    operator === 'exists'
      ? typeof operand === 'boolean'
      : operator === 'numeric'
        ? Array.isArray(operand)
        : operator === 'anything-but'
          ? isAnythingButOperand(operand)
          : typeof operand === 'string';
  if (!ok) throw new InvalidFilterPatternError(`Invalid operand for ${operator}`, whole);
}

function isAnythingButOperand(operand: unknown): boolean {
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  if (scalar(operand)) return true;
  if (Array.isArray(operand)) return operand.length > 0 && operand.every(scalar);
  if (!isPlainObject(operand) || Object.keys(operand).length !== 1) return false;
  const [inner, value] = Object.entries(operand)[0] as [string, unknown];
  return ['prefix', 'suffix', 'equals-ignore-case'].includes(inner) && typeof value === 'string';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    assertIsError(error);
    throw new InvalidFilterPatternError(`Filter pattern is not valid JSON (${error.message})`, text);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
