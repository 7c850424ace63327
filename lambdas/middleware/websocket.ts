/**
 * middy middlewares for WebSocket routes: who is talking (from the `$connect` authorizer's
 * context, which API Gateway attaches to every event of the connection), lease renewal on every
 * frame, and the one place where errors become contract error frames. Replies go back as the
 * route response, so they cost no extra `@connections` call.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { type ErrorCode, MAX_FRAME_BYTES, parseFrameObject, requestIdOf, type ServerFrame } from '../../contract/protocol';
import { assertIsError, type DomainError, InvalidRequestError, PayloadTooLargeError, TooManySubscriptionsError } from '../domain/errors';
import { logger } from '../shared/logger';
import { count } from '../shared/metrics';

export interface WebSocketEvent {
  readonly requestContext: {
    readonly connectionId: string;
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly connectedAt: number;
    /** When API Gateway received the frame, or (`$disconnect`) saw the connection close (ms); always set by API Gateway. */
    readonly requestTimeEpoch?: number;
    readonly authorizer?: { readonly userId?: string; readonly name?: string; readonly principalId?: string };
    readonly disconnectStatusCode?: number;
  };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * What the WebSocket middlewares know of one request, kept on middy's `request.internal` (shared by
 * the middlewares, gone with the request). Handlers, which middy calls with (event, context)
 * only, read it with {@link webSocketRequest}.
 */
export type WebSocketRequest = {
  readonly connectionId: string;
  readonly userId: string;
  /** The lease renewal this frame started (message routes); resolves to when the lease now ends (ms). */
  leaseRenewal?: Promise<number>;
};

const requests = new WeakMap<Context, WebSocketRequest>();

/** This invocation's connection and user (and lease renewal), as {@link webSocketIdentity} found them. */
export const webSocketRequest = (context: Context): WebSocketRequest => {
  const request = requests.get(context);
  if (request === undefined) throw new Error('No WebSocket identity: the handler does not use webSocketIdentity()');
  return request;
};

/** The lease renewal {@link leaseRenewal} started for this frame; resolves to when the lease now ends (ms). */
export const leaseRenewalOf = (context: Context): Promise<number> => {
  const renewal = webSocketRequest(context).leaseRenewal;
  if (renewal === undefined) throw new Error('No lease renewal: the handler does not use leaseRenewal()');
  return renewal;
};

export const frame = (message: ServerFrame): WebSocketResult => ({ statusCode: 200, body: JSON.stringify(message) });

/** Puts the connection's user on the request. A connection without one was never authorized. */
export const webSocketIdentity = (): MiddlewareObj<WebSocketEvent, WebSocketResult, Error, Context, { webSocket?: WebSocketRequest }> => ({
  before: async (request) => {
    const { connectionId, authorizer } = request.event.requestContext;
    const userId = authorizer?.userId ?? authorizer?.principalId;
    if (userId === undefined || userId === '') throw new Error('WebSocket event without an authorized user');
    request.internal.webSocket = { connectionId, userId };
    requests.set(request.context, request.internal.webSocket);
  },
});

/** Every frame renews its connection's lease, in parallel with the frame's own work. Uses after {@link webSocketIdentity}. */
export const leaseRenewal = (options: {
  readonly touch: (connectionId: string, userId: string) => Promise<number>;
}): MiddlewareObj<WebSocketEvent, WebSocketResult, Error, Context, { webSocket?: WebSocketRequest }> => {
  const settle = async (webSocket: WebSocketRequest | undefined) => {
    try {
      await webSocket?.leaseRenewal;
    } catch (error) {
      assertIsError(error);
      logger.error('lease renewal failed', { error: error.message });
    }
  };
  return {
    before: async (request) => {
      const webSocket = request.internal.webSocket;
      if (webSocket === undefined) throw new Error('leaseRenewal() needs webSocketIdentity() before it');
      webSocket.leaseRenewal = options.touch(webSocket.connectionId, webSocket.userId);
      // The frame's handler may fail before awaiting it: never leave a rejection unhandled.
      webSocket.leaseRenewal.catch(() => undefined);
    },
    after: async (request) => settle(request.internal.webSocket),
    onError: async (request) => settle(request.internal.webSocket),
  };
};

const ERROR_CODES: readonly [new (...args: never[]) => DomainError, ErrorCode][] = [
  [InvalidRequestError, 'invalid_request'],
  [PayloadTooLargeError, 'payload_too_large'],
  [TooManySubscriptionsError, 'too_many_subscriptions'],
];

/**
 * Refuses frames over the contract's 32 KiB, and answers every error with an error frame that
 * echoes the frame's requestId; the connection stays open. Unexpected errors say nothing inside.
 */
export const webSocketErrors = (): MiddlewareObj<WebSocketEvent, WebSocketResult> => ({
  before: async (request) => {
    const body = request.event.body ?? '';
    if (Buffer.byteLength(body, 'utf8') > MAX_FRAME_BYTES) throw new PayloadTooLargeError(`Frames are limited to ${MAX_FRAME_BYTES} bytes`);
  },
  onError: async (request) => {
    // Echo the requestId whenever the frame parses, oversized ones included (API Gateway caps messages at 128 KB).
    const requestId = requestIdOf(parseFrameObject(request.event.body));
    const match = ERROR_CODES.find(([type]) => request.error instanceof type);
    if (match === undefined) {
      count('InternalErrors');
      logger.error('unhandled error', {
        error: { name: request.error?.name, message: request.error?.message, stack: request.error?.stack },
      });
    }
    request.response = frame({
      type: 'error',
      ...(requestId === undefined ? {} : { requestId }),
      code: match?.[1] ?? 'internal',
      message: match === undefined || request.error === null ? 'Something went wrong on our side; please try again' : request.error.message,
    });
  },
});
