/** Pieces shared by the local AWS stand-ins' HTTP servers. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** The body as UTF-8 text; `tooLarge` builds the error for a body over `maxBytes`. */
export const readText = async (request: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> => {
  const body = await readBody(request, maxBytes);
  if (body === null) throw tooLarge();
  return body.toString('utf8');
};

/** A JSON answer with a request id, as AWS services send them; nothing if the response already went. */
export const sendJson = (
  response: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void => {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(payload);
};

/** A percent-decoded path segment, or `undefined` when its escapes are malformed. */
export const safeDecode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/** Listens on `port` (0: a free one) and resolves with the port it got. */
export const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
