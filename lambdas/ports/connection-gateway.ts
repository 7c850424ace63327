/**
 * `gone`: the connection no longer exists (410). `throttled`: API Gateway refused the post for now
 * (LimitExceededException: the client's buffer is full, or the account is over its rate).
 */
export type PostResult = 'delivered' | 'gone' | 'throttled';

/** The API Gateway management API of the WebSocket API. */
export interface ConnectionGateway {
  post(connectionId: string, message: unknown): Promise<PostResult>;
  /** When the client last sent a frame (ms), or null when the connection is gone. */
  lastActiveAt(connectionId: string): Promise<number | null>;
  /** Closes the socket; closing a connection that is already gone is not an error. */
  close(connectionId: string): Promise<void>;
}
