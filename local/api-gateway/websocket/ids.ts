/** Ids in the format API Gateway gives them. */
import { randomBytes } from 'node:crypto';

// AWS: connection, request and extended request ids look like `GgCJcFJGoAMCJ8w=`: 16 chars of the base64 alphabet ending in `=`.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const awsStyleId = (): string => `${Array.from(randomBytes(15), (byte) => ALPHABET[byte % ALPHABET.length]).join('')}=`;

// AWS: a connection id in any other shape is malformed (the base64url characters are accepted too).
const CONNECTION_ID = /^[A-Za-z0-9+/_-]{15}=$/;

export const isWellFormedConnectionId = (id: string): boolean => CONNECTION_ID.test(id);
