import type { DynamoDBRecord } from 'aws-lambda';
import { InvalidFilterPatternError, UnknownStreamEventError } from '../../../local/dynamodb/errors';
import {
  compareSequenceNumbers,
  laneOf,
  lowestSequenceNumber,
  matchesAnyFilter,
  matchesPattern,
  parseFilterPatterns,
  type RawStreamRecord,
  rewriteArn,
  type StreamRecordContext,
  toDynamoDBRecord,
} from '../../../local/dynamodb/stream-records';
import { interpretBatchResponse } from '../../../local/lambda/event-source-mapping';
import userCapture from '../../fixtures/dynamodb-local-stream-records.json';
import ttlCapture from '../../fixtures/dynamodb-local-ttl-record.json';

const context: StreamRecordContext = {
  eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/presence/stream/2026-11-28T04:16:08.000',
  awsRegion: 'eu-west-1',
  ttlAttribute: 'ttl',
};
const ttlRecord = ttlCapture.record as RawStreamRecord;
const [insertRecord, modifyRecord, removeRecord] = userCapture.records as RawStreamRecord[];

/** A copy of a captured record with some fields replaced (undefined deletes the field). */
function variant(record: RawStreamRecord, changes: Partial<RawStreamRecord>, dataChanges: Record<string, unknown> = {}): RawStreamRecord {
  const copy = JSON.parse(JSON.stringify(record)) as Record<string, unknown> & RawStreamRecord;
  Object.assign(copy, changes);
  Object.assign(copy.dynamodb as object, dataChanges);
  for (const target of [copy, copy.dynamodb as Record<string, unknown>]) {
    for (const key of Object.keys(target)) if (target[key] === undefined) delete target[key];
  }
  return copy;
}

describe('toDynamoDBRecord', () => {
  it('turns the captured DynamoDB Local TTL delete into what AWS sends: REMOVE with the service identity', () => {
    // Prepare: the raw record captured from DynamoDB Local (eventName UNKNOWN_TO_SDK_VERSION, no userIdentity).

    // Act
    const { record, normalisedTtlDelete } = toDynamoDBRecord(ttlRecord, context);

    // Assess
    expect({ record, normalisedTtlDelete }).toEqual({
      record: {
        eventID: ttlRecord.eventID,
        eventName: 'REMOVE',
        eventVersion: ttlRecord.eventVersion,
        eventSource: 'aws:dynamodb',
        awsRegion: 'eu-west-1',
        dynamodb: ttlRecord.dynamodb,
        eventSourceARN: context.eventSourceARN,
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      },
      normalisedTtlDelete: true,
    });
  });

  it("keeps user writes and deletes without userIdentity and with the wire's base64 blobs and epoch seconds", () => {
    // Prepare: captured INSERT (with B and BS attributes), MODIFY, REMOVE.

    // Act
    const records = [insertRecord, modifyRecord, removeRecord].map((raw) => toDynamoDBRecord(raw, context));

    // Assess
    expect(
      records.map(({ record, normalisedTtlDelete }) => ({
        eventName: record.eventName,
        hasUserIdentity: 'userIdentity' in record,
        normalisedTtlDelete,
        awsRegion: record.awsRegion,
        creationTime: typeof record.dynamodb?.ApproximateCreationDateTime,
      })),
    ).toEqual(
      ['INSERT', 'MODIFY', 'REMOVE'].map((eventName) => ({
        eventName,
        hasUserIdentity: false,
        normalisedTtlDelete: false,
        awsRegion: 'eu-west-1',
        creationTime: 'number',
      })),
    );
    expect(records[0].record.dynamodb?.NewImage).toMatchObject({
      avatar: { B: Buffer.from('hello').toString('base64') },
      tags: { BS: [Buffer.from([0, 1, 2]).toString('base64')] },
    });
  });

  it("renames a wire userIdentity to Lambda's lower-camel form", () => {
    // Prepare: what DynamoDB Local would send if it emitted TTL deletes as AWS's GetRecords does.
    const wire = variant(ttlRecord, { eventName: 'REMOVE', userIdentity: { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' } });

    // Act
    const { record, normalisedTtlDelete } = toDynamoDBRecord(wire, context);

    // Assess
    expect({ userIdentity: record.userIdentity, normalisedTtlDelete }).toEqual({
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      normalisedTtlDelete: false,
    });
  });

  it.each([
    ['the table has no TTL', ttlRecord, { ...context, ttlAttribute: undefined }],
    ['the record has a NewImage', variant(ttlRecord, {}, { NewImage: { pk: { S: 'x' } } }), context],
    ['the record has neither Keys nor OldImage', variant(ttlRecord, {}, { Keys: undefined, OldImage: undefined }), context],
    ['the old image has no TTL attribute', variant(ttlRecord, {}, { OldImage: { pk: { S: 'CONN#c-1' }, sk: { S: 'LEASE' } } }), context],
    [
      'the item had not expired when it was deleted',
      variant(
        ttlRecord,
        {},
        {
          OldImage: {
            ...ttlRecord.dynamodb?.OldImage,
            ttl: { N: String((ttlRecord.dynamodb?.ApproximateCreationDateTime as number) + 3600) },
          },
        },
      ),
      context,
    ],
  ])('refuses an unknown eventName when %s', (_case, raw, recordContext) => {
    // Prepare: the case's record and context.

    // Act
    const convert = () => toDynamoDBRecord(raw as RawStreamRecord, recordContext as StreamRecordContext);

    // Assess
    expect(convert).toThrow(UnknownStreamEventError);
  });
});

describe('rewriteArn', () => {
  it("replaces DynamoDB Local's region and account, keeping the table and stream label", () => {
    // Prepare
    const local = 'arn:aws:dynamodb:ddblocal:000000000000:table/presence/stream/2026-11-28T04:16:08.720';

    // Act
    const arn = rewriteArn(local, 'eu-west-1', '123456789012');

    // Assess
    expect(arn).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/presence/stream/2026-11-28T04:16:08.720');
  });
});

describe('compareSequenceNumbers', () => {
  it.each([
    ['9007199254740993', '9007199254740992', 1], // beyond 2^53: Number() would call these equal
    ['400000000024465870661', '400000000024465870662', -1],
    ['100000000000000000000', '99999999999999999999', 1], // lexicographic order would say the opposite
    ['000000000000000000010', '9', 1], // DynamoDB Local zero-pads to 21 digits
    ['000000000000000000005', '5', 0],
  ])('compares %s with %s as %i', (a, b, expected) => {
    // Prepare: the pair.

    // Act
    const result = compareSequenceNumbers(a, b);

    // Assess
    expect(result).toBe(expected);
  });

  it('rejects something that is not a sequence number', () => {
    // Prepare
    const compare = () => compareSequenceNumbers('12a', '1');

    // Act + Assess
    expect(compare).toThrow(/Not a sequence number/);
  });
});

describe('lowestSequenceNumber', () => {
  it.each([
    [
      'several, reported in any order',
      ['99999999999999999999999', '100000000000000000002', '9007199254740993000000'],
      '100000000000000000002',
    ],
    ['lengths that text order would rank the other way', ['100000000000000000000', '99999999999999999999'], '99999999999999999999'],
    ['none', [], undefined],
  ])('picks the lowest of %s, compared as numbers', (_case, sequenceNumbers, expected) => {
    // Prepare: the case's sequence numbers.

    // Act
    const lowest = lowestSequenceNumber(sequenceNumbers);

    // Assess
    expect(lowest).toBe(expected);
  });
});

describe('laneOf (ParallelizationFactor)', () => {
  const record = (pk: string, sk = 'STATE'): DynamoDBRecord => ({ dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } } });

  it('sends every record of one partition key to one lane, whatever its sort key', () => {
    // Prepare
    const lanes = 4;

    // Act
    const picked = ['STATE', 'CONN#1', 'WATCH#u2'].map((sk) => laneOf(record('USER#ada', sk), 'pk', lanes));

    // Assess
    expect(new Set(picked).size).toBe(1);
  });

  it('spreads keys over every lane, none with much more than its share', () => {
    // Prepare
    const lanes = 4;
    const counts = new Array<number>(lanes).fill(0);

    // Act
    for (let n = 0; n < 4_000; n += 1) counts[laneOf(record(`USER#${n}`), 'pk', lanes)] += 1;

    // Assess: each lane within 20 % of 1,000.
    expect(counts.map((count) => count >= 800 && count <= 1_200)).toEqual([true, true, true, true]);
  });

  it('has one lane for a factor of 1, and a lane for a record without that key', () => {
    expect(laneOf(record('USER#ada'), 'pk', 1)).toBe(0);
    expect(laneOf({ dynamodb: {} }, 'pk', 4)).toBe(laneOf({ dynamodb: {} }, 'pk', 4));
  });
});

describe('interpretBatchResponse', () => {
  const batch = ['100000000000000000001', '100000000000000000002', '9007199254740993000000', '99999999999999999999999'];

  it.each([
    ['no response', undefined, true, { kind: 'success' }],
    ['a null response', null, true, { kind: 'success' }],
    ['an empty response', {}, true, { kind: 'success' }],
    ['a null list', { batchItemFailures: null }, true, { kind: 'success' }],
    ['an empty list', { batchItemFailures: [] }, true, { kind: 'success' }],
    ['one identifier', { batchItemFailures: [{ itemIdentifier: batch[2] }] }, true, { kind: 'partial', failedIds: [batch[2]] }],
    [
      'several identifiers (in batch order)',
      { batchItemFailures: [{ itemIdentifier: batch[3] }, { itemIdentifier: batch[1] }, { itemIdentifier: batch[2] }] },
      true,
      { kind: 'partial', failedIds: [batch[1], batch[2], batch[3]] },
    ],
    ['an empty-string identifier', { batchItemFailures: [{ itemIdentifier: '' }] }, true, { kind: 'failure', reason: expect.any(String) }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }, true, { kind: 'failure', reason: expect.any(String) }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: batch[1] }] }, true, { kind: 'failure', reason: expect.any(String) }],
    [
      'an identifier outside the batch',
      { batchItemFailures: [{ itemIdentifier: '7' }] },
      true,
      { kind: 'failure', reason: expect.any(String) },
    ],
    ['a list that is not a list', { batchItemFailures: 'all' }, true, { kind: 'failure', reason: expect.any(String) }],
    ['failures, without the flag', { batchItemFailures: [{ itemIdentifier: batch[1] }] }, false, { kind: 'success' }],
    ['an empty-string identifier, without the flag', { batchItemFailures: [{ itemIdentifier: '' }] }, false, { kind: 'success' }],
  ])('reads %s', (_case, response, reportBatchItemFailures, expected) => {
    // Prepare: the case's response.

    // Act
    const outcome = interpretBatchResponse(response, batch, reportBatchItemFailures);

    // Assess
    expect(outcome).toEqual(expected);
  });
});

describe('FilterCriteria matching', () => {
  const { record: ttlDelete } = toDynamoDBRecord(ttlRecord, context);
  const { record: insert } = toDynamoDBRecord(insertRecord, context);
  const { record: userRemove } = toDynamoDBRecord(removeRecord, context);

  it.each([
    ['exact string', { eventName: ['INSERT'] }, insert, true],
    ['exact string, other value', { eventName: ['MODIFY'] }, insert, false],
    ['OR within a list', { eventName: ['MODIFY', 'INSERT'] }, insert, true],
    ['AND across fields', { eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: ['offline'] } } } }, insert, false],
    ['nested data field', { dynamodb: { NewImage: { status: { S: ['online'] } } } }, insert, true],
    ['field that must exist but does not', { dynamodb: { OldImage: { status: { S: ['online'] } } } }, insert, false],
    [
      'no normalisation of numbers-as-strings',
      { dynamodb: { OldImage: { ttl: { N: [`${Number(ttlRecord.dynamodb?.OldImage?.ttl?.N)}.0`] } } } },
      ttlDelete,
      false,
    ],
    ['prefix', { dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] } } } }, insert, true],
    ['prefix, no match', { dynamodb: { Keys: { pk: { S: [{ prefix: 'CONN#' }] } } } }, insert, false],
    ['anything-but a value', { eventName: [{ 'anything-but': 'REMOVE' }] }, insert, true],
    ['anything-but a list', { eventName: [{ 'anything-but': ['INSERT', 'MODIFY'] }] }, insert, false],
    ['anything-but a prefix', { dynamodb: { Keys: { pk: { S: [{ 'anything-but': { prefix: 'USER#' } }] } } } }, insert, false],
    ['exists on a leaf', { dynamodb: { NewImage: { avatar: { B: [{ exists: true }] } } } }, insert, true],
    ['exists on an intermediate node (never)', { dynamodb: { NewImage: { avatar: [{ exists: true }] } } }, insert, false],
    ['exists: false on a missing field', { dynamodb: { NewImage: [{ exists: false }] } }, userRemove, true],
    ['exists: false on a present field', { dynamodb: { NewImage: { status: { S: [{ exists: false }] } } } }, insert, false],
    [
      'numeric (unsupported for DynamoDB, never matches)',
      { dynamodb: { OldImage: { ttl: { N: [{ numeric: ['>', 0] }] } } } },
      ttlDelete,
      false,
    ],
    [
      'the TTL filter from the docs, on a normalised TTL delete',
      { userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } },
      ttlDelete,
      true,
    ],
    [
      'the TTL filter from the docs, on a user delete',
      { userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } },
      userRemove,
      false,
    ],
    ['null does not match a string', { dynamodb: { NewImage: { status: { S: [null] } } } }, insert, false],
    ['null matches a present null', { reason: [null] }, { reason: null, note: '' }, true],
    ['null does not match a missing field', { missing: [null] }, { reason: null, note: '' }, false],
    ['empty string matches an empty string', { note: [''] }, { reason: null, note: '' }, true],
    ['empty string does not match null', { reason: [''] }, { reason: null, note: '' }, false],
  ])('%s', (_case, pattern, record, expected) => {
    // Prepare: validate the pattern as the poller does at start-up.
    const [parsed] = parseFilterPatterns([pattern]);

    // Act
    const matched = matchesPattern(record, parsed);

    // Assess
    expect(matched).toBe(expected);
  });

  it('ORs the filters of a mapping and lets everything through when there are none', () => {
    // Prepare
    const patterns = parseFilterPatterns([
      { eventName: ['MODIFY'] },
      JSON.stringify({ eventName: ['INSERT'] }),
      { pattern: '{"eventName":["REMOVE"]}' },
    ]);

    // Act
    const results = [
      matchesAnyFilter(insert, patterns),
      matchesAnyFilter(ttlDelete, patterns.slice(0, 2)),
      matchesAnyFilter(ttlDelete, []),
    ];

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it.each([
    ['invalid JSON', '{"eventName":'],
    ['an unknown operator', { eventName: [{ wildcard: 'INS*' }] }],
    ['an empty rule list', { eventName: [] }],
    ['a bare value instead of a list', { eventName: 'INSERT' }],
    ['an $or', { $or: [{ eventName: ['INSERT'] }] }],
    ['an operator with a bad operand', { eventName: [{ prefix: 3 }] }],
    ['more than 10 filters', Array.from({ length: 11 }, () => ({ eventName: ['INSERT'] }))],
  ])('rejects %s when the mapping is created', (_case, pattern) => {
    // Prepare
    const filters = Array.isArray(pattern) ? pattern : [pattern];

    // Act
    const parse = () => parseFilterPatterns(filters);

    // Assess
    expect(parse).toThrow(InvalidFilterPatternError);
  });
});
