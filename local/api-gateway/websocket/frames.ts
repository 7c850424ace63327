/**
 * WebSocket frames as API Gateway limits and writes them: the 32 KB per-frame limit checked on the
 * wire, message text from `ws`'s data, and the error frames it sends to clients.
 */
import type { RawData } from 'ws';

// AWS: a frame may carry at most 32 KB and a message (its frames together) at most 128 KB; more closes the connection with 1009.
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;

/**
 * Watches the raw bytes a client sends and calls `onOversized` when a frame header announces a
 * payload over `limit`, before that frame's payload arrives. `ws` can only limit whole messages
 * (`maxPayload` adds up the fragments), so the per-frame limit is checked here, on the wire.
 */
export const frameSizeWatcher = (limit: number, onOversized: (length: number) => void): ((chunk: Buffer) => void) => {
  let header = Buffer.alloc(0);
  let skip = 0;
  let tripped = false;
  return (chunk: Buffer) => {
    let offset = 0;
    while (!tripped && offset < chunk.length) {
      if (skip > 0) {
        const skipped = Math.min(skip, chunk.length - offset);
        skip -= skipped;
        offset += skipped;
        continue;
      }
      const needed = headerLength(header.length >= 2 ? header : Buffer.concat([header, chunk.subarray(offset, offset + 2)]));
      const take = Math.min(needed - header.length, chunk.length - offset);
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length < needed) continue;
      const length = payloadLength(header);
      header = Buffer.alloc(0);
      if (length > limit) {
        tripped = true;
        onOversized(length);
        return;
      }
      skip = length;
    }
  };
};

/** Bytes of a frame header (RFC 6455 §5.2) given at least its first two bytes; 2 while fewer are known. */
const headerLength = (start: Buffer): number => {
  if (start.length < 2) return 2;
  const short = start[1] & 0x7f;
  const mask = start[1] & 0x80 ? 4 : 0;
  return 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + mask;
};

const payloadLength = (header: Buffer): number => {
  const short = header[1] & 0x7f;
  if (short === 126) return header.readUInt16BE(2);
  if (short === 127) return Number(header.readBigUInt64BE(2));
  return short;
};

export const frameText = (data: RawData): Buffer => {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
};

// AWS: error frames are written with this exact spacing (observed in simple-websockets-chat-app issues).
export const errorFrame = (message: string, connectionId: string, requestId: string): string =>
  `{"message": ${JSON.stringify(message)}, "connectionId":${JSON.stringify(connectionId)}, "requestId":${JSON.stringify(requestId)}}`;
