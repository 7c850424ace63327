/**
 * Builds the package into dist/: index.js (ESM, one file, everything it uses inlined: the wire
 * constants it shares with the server come along at build time, nothing is imported at run time)
 * and index.d.ts (one declaration file; the wire types it shares with the server are inlined, so it
 * resolves inside the package). `npm run build`; `npm pack` runs it first (prepack).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDtsBundle } from 'dts-bundle-generator';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const entry = path.join(here, 'index.ts');

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [entry],
  outfile: path.join(dist, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  logLevel: 'warning',
});
const [declarations] = generateDtsBundle([{ filePath: entry, output: { noBanner: true, exportReferencedTypes: false } }], {
  preferredConfigPath: path.join(here, 'tsconfig.json'),
});
// Anything imported from outside the package would not resolve where it is installed.
const outside = declarations.match(/^import .*$/gm) ?? [];
if (outside.length > 0) throw new Error(`dist/index.d.ts would import from outside the package: ${outside.join('; ')}`);
await writeFile(path.join(dist, 'index.d.ts'), declarations);
