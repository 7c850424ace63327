/**
 * Domain errors. Adapters translate SDK failures into these; one middleware maps them to the
 * contract's codes. Anything that is not one of these becomes a generic `internal` error.
 */
export class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400 `invalid_request`: the request is malformed or a field is invalid. */
export class InvalidRequestError extends DomainError {}

/** 401 `unauthorized`: missing, malformed, forged or expired token. */
export class UnauthorizedError extends DomainError {}

/** 401 `invalid_credentials`: wrong name or password. */
export class InvalidCredentialsError extends DomainError {}

/** 404 `not_found`. */
export class NotFoundError extends DomainError {}

/** 409 `name_taken`. */
export class NameTakenError extends DomainError {}

/** 413 `payload_too_large`. */
export class PayloadTooLargeError extends DomainError {}

/** 429 `rate_limited`, answered with `Retry-After: retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A WebSocket connection asked for more subscriptions than allowed. */
export class TooManySubscriptionsError extends DomainError {}

/**
 * The user database does not answer for now (Aurora resuming from a pause, a failover, an outage):
 * worth retrying later, unlike a failed statement. `resuming`: it is waking up from a pause.
 */
export class DatabaseUnavailableError extends DomainError {
  constructor(
    readonly resuming: boolean,
    options?: { cause?: unknown },
  ) {
    super(resuming ? 'the database is resuming' : 'the database is unavailable', options);
  }
}

/**
 * Optimistic concurrency: somebody else changed the item between our read and our write. `current`
 * is what the store holds now when it said so (DynamoDB returns it with the failed condition), so
 * the retry needs no second read.
 */
export class ConcurrentUpdateError<T = unknown> extends DomainError {
  readonly current?: T;

  constructor(message: string, options?: { cause?: unknown; current?: T }) {
    super(message, options);
    this.current = options?.current;
  }
}

/**
 * Whether a caught value is an Error. An Error from another realm (Node's own errors inside Jest's
 * VM) is one too: the check is on the built-in tag, not only the prototype chain.
 */
export const isError = (value: unknown): value is Error =>
  value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';

/**
 * Narrows a caught value to an Error, for code that reads its `message` or `name`. Everything this
 * code and the AWS SDK throw is one; anything else (a thrown string) is a bug, rethrown as it is.
 * Where anything may arrive (what a Lambda function threw), use {@link isError} instead.
 */
export function assertIsError(value: unknown): asserts value is Error {
  if (!isError(value)) throw value;
}
