import { frameSizeWatcher } from '../../../../local/api-gateway/websocket/frames';

/** A masked client frame (RFC 6455 §5.2) with a payload of `length` bytes. */
const frame = (length: number, fin = true): Buffer => {
  const extended = length > 0xffff ? 8 : length > 125 ? 2 : 0;
  const header = Buffer.alloc(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | 0x01;
  header[1] = 0x80 | (extended === 8 ? 127 : extended === 2 ? 126 : length);
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, Buffer.alloc(length, 0x61)]);
};

const feed = (bytes: Buffer, chunkSize: number, watch: (chunk: Buffer) => void): void => {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) watch(bytes.subarray(offset, offset + chunkSize));
};

describe('frameSizeWatcher', () => {
  it.each([1, 3, 7, 1000])('passes frames up to the limit, whatever the chunking (chunks of %i bytes)', (chunkSize) => {
    const seen: number[] = [];
    const watch = frameSizeWatcher(32 * 1024, (length) => seen.push(length));

    feed(Buffer.concat([frame(10, false), frame(300, false), frame(32 * 1024, false), frame(0)]), chunkSize, watch);

    expect(seen).toEqual([]);
  });

  it.each([1, 5, 65536])('reports the first frame over the limit once, from its header (chunks of %i bytes)', (chunkSize) => {
    const seen: number[] = [];
    const watch = frameSizeWatcher(32 * 1024, (length) => seen.push(length));

    feed(Buffer.concat([frame(100, false), frame(32 * 1024 + 1, false), frame(70_000)]), chunkSize, watch);

    expect(seen).toEqual([32 * 1024 + 1]);
  });

  it('reads 64-bit lengths', () => {
    const seen: number[] = [];
    const watch = frameSizeWatcher(32 * 1024, (length) => seen.push(length));

    watch(frame(70_000).subarray(0, 14));

    expect(seen).toEqual([70_000]);
  });
});
