import { measureClientBundle } from '../../scripts/client-size';

/** The library ships to every page that shows presence; growing past this deserves a conscious decision. */
const BUDGET_GZIP_BYTES = 6 * 1024;

describe('the client library bundle', () => {
  it(`stays under ${BUDGET_GZIP_BYTES} bytes minified and gzipped, with no server code in it`, async () => {
    const size = await measureClientBundle();
    console.log(`client bundle: ${size.minifiedBytes} B minified, ${size.gzippedBytes} B min+gzip (${size.inputs.join(', ')})`);

    expect(size.gzippedBytes).toBeLessThan(BUDGET_GZIP_BYTES);
    expect(size.inputs.filter((file) => !file.startsWith('client/'))).toEqual(['contract/limits.ts']);
  });
});
