/**
 * The digests SQS returns with every message. The SDK recomputes MD5OfMessageBody / MD5OfBody on
 * SendMessage, SendMessageBatch and ReceiveMessage and throws on a mismatch, so these must be exact.
 */
import { createHash } from 'node:crypto';

/** A validated message attribute: `stringValue` for String/Number types, the raw bytes in `binaryValue` for Binary. */
export interface StoredAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: Buffer;
}

/** MD5 (hex) of the UTF-8 bytes of the message body. */
export const md5OfBody = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

const lengthPrefixed = (bytes: Buffer): Buffer[] => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
};

/** Binary data types (`Binary`, `Binary.label`) travel as transport type 2, everything else as 1. */
export const isBinaryType = (dataType: string): boolean => dataType === 'Binary' || dataType.startsWith('Binary.');

/**
 * MD5OfMessageAttributes as the SQS developer guide specifies it: attributes sorted by name, each
 * encoded as length-prefixed name, length-prefixed data type, one transport-type byte (1 string,
 * 2 binary) and the length-prefixed value. `undefined` when there are no attributes (AWS omits it).
 */
export const md5OfMessageAttributes = (attributes: Readonly<Record<string, StoredAttribute>>): string | undefined => {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name];
    const binary = isBinaryType(attribute.dataType);
    const value = binary ? (attribute.binaryValue ?? Buffer.alloc(0)) : Buffer.from(attribute.stringValue ?? '', 'utf8');
    for (const part of [
      ...lengthPrefixed(Buffer.from(name, 'utf8')),
      ...lengthPrefixed(Buffer.from(attribute.dataType, 'utf8')),
      Buffer.from([binary ? 2 : 1]),
      ...lengthPrefixed(value),
    ]) {
      hash.update(part);
    }
  }
  return hash.digest('hex');
};
