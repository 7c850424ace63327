/**
 * The library's weight in a browser: `client/index.ts` bundled, minified and gzipped, as a web app
 * would ship it. `npm run size:client` prints it; test/client/bundle-size.test.ts keeps it in budget.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BundleSize {
  readonly minifiedBytes: number;
  readonly gzippedBytes: number;
  /** The source files that ended up in the bundle, relative to the repository. */
  readonly inputs: string[];
}

export const measureClientBundle = async (): Promise<BundleSize> => {
  const result = await build({
    entryPoints: [path.join(__dirname, '..', 'client', 'index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  return {
    minifiedBytes: code.byteLength,
    gzippedBytes: gzipSync(code, { level: 9 }).byteLength,
    inputs: Object.entries(output.inputs)
      .filter(([, usage]) => usage.bytesInOutput > 0)
      .map(([file]) => file),
  };
};

if (require.main === module) {
  measureClientBundle().then(
    ({ minifiedBytes, gzippedBytes, inputs }) => {
      process.stdout.write(`client bundle: ${minifiedBytes} B minified, ${gzippedBytes} B min+gzip\n  from ${inputs.join(', ')}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
