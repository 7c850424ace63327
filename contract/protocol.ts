/**
 * The messages of the public contract (HTTP bodies and WebSocket frames) on the server side: their
 * types, inferred from the one schema source (schemas.ts), and the wire's own rules (times, frame
 * objects, request ids). No schema library here: handlers that only answer (notify, sweep,
 * connect...) do not bundle it; parsing is in validation.ts, domain values become wire objects in
 * lambdas/domain/present.ts.
 */
import { MAX_REQUEST_ID_LENGTH } from './limits';

export { MAX_FRAME_BYTES, MAX_SUBSCRIPTIONS_PER_CONNECTION } from './limits';
export type { Config as ConfigReply, ErrorCode, Me as MeReply, PresenceChangeJson, PresenceJson, ServerFrame, UserJson } from './schemas';

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The frame as JSON, when it is a JSON object; otherwise null. */
export const parseFrameObject = (body: string | undefined): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
};

/** The `requestId` to echo: only a string of at most 64 characters counts. */
export const requestIdOf = (frame: Record<string, unknown> | null): string | undefined => {
  const id = frame?.requestId;
  return typeof id === 'string' && id.length <= MAX_REQUEST_ID_LENGTH ? id : undefined;
};
