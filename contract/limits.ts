/**
 * The contract's numbers, apart from the schemas so that a client can take them without bundling
 * the schema library.
 */
export const MAX_ID_LENGTH = 64;
export const MAX_IDS_PER_FRAME = 100;
export const MAX_REQUEST_ID_LENGTH = 64;
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000;
/** Messages over this many bytes are refused with `payload_too_large` (WebSocket). */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Bodies over this many bytes are refused with `payload_too_large` (HTTP). */
export const MAX_BODY_BYTES = 16 * 1024;
