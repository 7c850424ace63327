/** Request-body helpers shared by the local AWS stand-ins' HTTP servers. */
import type { IncomingMessage } from 'node:http';

/** The whole body, or `null` when it is larger than `maxBytes` (the rest is read and dropped). */
export const readBody = (request: IncomingMessage, maxBytes: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks)));
    request.on('error', reject);
  });

/** A JSON object from a request body (empty = `{}`); `invalid` builds the error for anything else. */
export const parseJsonObject = (text: string, invalid: (reason: string) => Error): Record<string, unknown> => {
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('The request body must be a JSON object');
  return value as Record<string, unknown>;
};
