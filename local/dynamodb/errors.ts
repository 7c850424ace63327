/**
 * The errors of the local DynamoDB stand-ins: starting DynamoDB Local, the Streams API the poller
 * speaks, and stream records or filter patterns Lambda would refuse.
 */
export class DynamoDbLocalStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'DynamoDbLocalStartError';
  }
}

/** A record whose `eventName` is not INSERT/MODIFY/REMOVE and is not a recognisable TTL delete. */
export class UnknownStreamEventError extends Error {
  constructor(readonly record: { readonly eventName?: string; readonly dynamodb?: { readonly SequenceNumber?: string } }) {
    super(
      `Stream record ${record.dynamodb?.SequenceNumber ?? '?'} has eventName ${JSON.stringify(record.eventName)}, ` +
        'which Lambda never delivers, and it does not look like a TTL delete; refusing to guess: ' +
        JSON.stringify(record),
    );
    this.name = 'UnknownStreamEventError';
  }
}

/** A `FilterCriteria` pattern that AWS would reject when the mapping is created (FLT-05). */
export class InvalidFilterPatternError extends Error {
  constructor(
    message: string,
    readonly pattern: unknown,
  ) {
    super(`${message}: ${JSON.stringify(pattern)}`);
    this.name = 'InvalidFilterPatternError';
  }
}

/** An error answer of the DynamoDB (Streams) API, named as the SDK would name it. */
export class StreamsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'StreamsApiError';
  }
}
