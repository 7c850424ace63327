/**
 * Errors the local SQS endpoint answers with. SQS speaks AWS JSON 1.0 in "query compatible" mode:
 * the SDK reads the legacy query error code from `x-amzn-query-error` ("Code;Sender") first and
 * maps it to a modelled exception through the model's `awsQueryError` trait (for example
 * `AWS.SimpleQueueService.NonExistentQueue` becomes `QueueDoesNotExist`); unmodelled codes such as
 * `InvalidParameterValue` surface as an `SQSServiceException` with that name.
 */
export class SqsError extends Error {
  constructor(
    /** The legacy query error code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    readonly queryCode: string,
    /** The Smithy shape name when the SDK models the error, e.g. `QueueDoesNotExist`. */
    readonly shape: string | undefined,
    readonly status: number,
    message: string,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = shape ?? queryCode;
  }

  /** The body's `__type`: the modelled shape id, or the bare query code for unmodelled errors. */
  get type(): string {
    return this.shape === undefined ? this.queryCode : `com.amazonaws.sqs#${this.shape}`;
  }
}

export const queueDoesNotExist = () =>
  new SqsError('AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist', 400, 'The specified queue does not exist.');

export const invalidParameterValue = (message: string) => new SqsError('InvalidParameterValue', undefined, 400, message);

// AWS: a parameter outside its documented range is reported in this wording.
export const outOfRange = (parameter: string, value: unknown, reason: string) =>
  invalidParameterValue(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`);

export const missingParameter = (parameter: string) =>
  new SqsError('MissingParameter', undefined, 400, `The request must contain the parameter ${parameter}.`);

export const invalidMessageContents = (message: string) => new SqsError('InvalidMessageContents', 'InvalidMessageContents', 400, message);

export const emptyBatchRequest = (entryType: string) =>
  new SqsError(
    'AWS.SimpleQueueService.EmptyBatchRequest',
    'EmptyBatchRequest',
    400,
    `There should be at least one ${entryType} in the request.`,
  );

export const tooManyEntriesInBatchRequest = (count: number) =>
  new SqsError(
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    'TooManyEntriesInBatchRequest',
    400,
    `Maximum number of entries per request are 10. You have sent ${count}.`,
  );

export const batchEntryIdsNotDistinct = (id: string) =>
  new SqsError('AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'BatchEntryIdsNotDistinct', 400, `Id ${id} repeated.`);

export const invalidBatchEntryId = () =>
  new SqsError(
    'AWS.SimpleQueueService.InvalidBatchEntryId',
    'InvalidBatchEntryId',
    400,
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  );

export const batchRequestTooLong = (bytes: number, limit: number) =>
  new SqsError(
    'AWS.SimpleQueueService.BatchRequestTooLong',
    'BatchRequestTooLong',
    400,
    `Batch requests cannot be longer than ${limit} bytes. You have sent ${bytes} bytes.`,
  );

export const unsupportedOperation = (operation: string) =>
  new SqsError(
    'AWS.SimpleQueueService.UnsupportedOperation',
    'UnsupportedOperation',
    400,
    `${operation} is not supported by the local SQS emulation.`,
  );

export const unknownOperation = (target: string) =>
  new SqsError('UnknownOperationException', undefined, 400, `The operation ${JSON.stringify(target)} is not an SQS operation.`);

export const serializationException = (message: string) => new SqsError('SerializationException', undefined, 400, message);

export const invalidAddress = (url: string) =>
  new SqsError('InvalidAddress', 'InvalidAddress', 404, `The address ${url} is not valid for this endpoint.`);

export const internalError = () =>
  new SqsError('InternalError', undefined, 500, 'We encountered an internal error. Please try again.', 'Receiver');
