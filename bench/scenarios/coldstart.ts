/**
 * `coldstart`: every handler bundled as lib/constructs/presence-function.ts bundles it (esbuild:
 * minified ESM for node22, `@aws-sdk/*` external as the runtime provides it, sourcemap beside the
 * file), into a temp dir; its size (target <= 150 KB) and the time to import it in a fresh Node
 * process (median of 10; target < 100 ms), next to the time to import only the SDK clients it
 * leaves external. The runtime's SDK is stood in for by this repository's node_modules, linked
 * next to the bundles.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { deployHandlers, handlers } from '../../lib/app-manifest';
import { median } from '../lib/stats';
import type { Row, ScenarioOutput } from './types';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const SIZE_TARGET_KB = 150;
const IMPORT_TARGET_MS = 100;

/** The bundling options PresenceFunction gives NodejsFunction, as esbuild options. */
const bundleOptions = (entry: string, outfile: string): BuildOptions & { metafile: true } => ({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
});

/** Imports the modules in a fresh process (cwd `dir`) and reports how long the imports took (ms). */
const importOnce = async (dir: string, specifiers: readonly string[]): Promise<number> => {
  const imports = specifiers.map((specifier) => `await import(${JSON.stringify(specifier)});`).join('');
  const script = `const t=performance.now();${imports}process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' } });
  return Number(stdout);
};

const medianImport = async (dir: string, specifiers: readonly string[], times: number): Promise<number[]> => {
  const samples: number[] = [];
  for (let attempt = 0; attempt < times; attempt += 1) samples.push(await importOnce(dir, specifiers));
  return samples;
};

export const coldstart = async ({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<ScenarioOutput> => {
  const imports = quick ? 3 : 10;
  const dir = await mkdtemp(path.join(tmpdir(), 'presence-bundles-'));
  try {
    // ESM resolves bare specifiers by walking up from the importing file: the SDK resolves here.
    await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const all = { ...handlers, ...deployHandlers };
    const results: { name: string; entry: string; bytes: number; mapBytes: number; inputs: number; largestInputs: { path: string; bytes: number }[]; sdk: string[]; importMs: number[]; sdkImportMs: number[] }[] = [];
    for (const [name, spec] of Object.entries(all)) {
      const outDir = path.join(dir, name);
      await mkdir(outDir);
      const outfile = path.join(outDir, 'index.mjs');
      const built = await build(bundleOptions(spec.entry, outfile));
      const output = built.metafile.outputs[path.relative(process.cwd(), outfile)] ?? Object.entries(built.metafile.outputs).find(([key]) => key.endsWith('index.mjs'))?.[1];
      const bytes = (await stat(outfile)).size;
      const mapBytes = (await stat(`${outfile}.map`)).size;
      const largestInputs = Object.entries(output?.inputs ?? {})
        .map(([input, info]) => ({ path: input.replace(/^.*node_modules\//, ''), bytes: info.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 3);
      // The SDK packages the bundle leaves to the runtime, and what importing just them costs.
      const sdk = [...new Set((output?.imports ?? []).filter((entry) => entry.external === true && entry.path.startsWith('@aws-sdk/')).map((entry) => entry.path))].sort();
      const importMs = await medianImport(dir, [pathToFileURL(outfile).href], imports);
      const sdkImportMs = sdk.length === 0 ? [0] : await medianImport(dir, sdk, imports);
      results.push({ name, entry: spec.entry, bytes, mapBytes, inputs: Object.keys(output?.inputs ?? {}).length, largestInputs, sdk, importMs, sdkImportMs });
      log(`  ${name.padEnd(14)} ${(bytes / 1024).toFixed(1).padStart(6)} KB  import median ${median(importMs).toFixed(1)} ms (its ${sdk.length} SDK packages alone: ${median(sdkImportMs).toFixed(1)} ms)`);
    }
    // For comparison: the heartbeat route with the SDK bundled in (NodejsFunction bundleAwsSDK: true).
    const bundledDir = path.join(dir, 'wsHeartbeat-sdk-bundled');
    await mkdir(bundledDir);
    const bundledFile = path.join(bundledDir, 'index.mjs');
    await build({ ...bundleOptions(handlers.wsHeartbeat.entry, bundledFile), external: [] });
    const bundled = { kb: (await stat(bundledFile)).size / 1024, importMs: await medianImport(dir, [pathToFileURL(bundledFile).href], imports) };
    log(`  wsHeartbeat with the SDK bundled in: ${bundled.kb.toFixed(1)} KB, import median ${median(bundled.importMs).toFixed(1)} ms`);
    const largest = results.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const slowest = results.reduce((a, b) => (median(b.importMs) > median(a.importMs) ? b : a));
    const sizeOk = largest.bytes <= SIZE_TARGET_KB * 1024;
    const importOk = median(slowest.importMs) < IMPORT_TARGET_MS;
    const rows: Row[] = [
      ...results.map((result) => ({
        metric: `${result.name} (${result.entry.replace('lambdas/handlers/', '')})`,
        value: `${(result.bytes / 1024).toFixed(1)} KB, import ${median(result.importMs).toFixed(1)} ms (SDK alone ${median(result.sdkImportMs).toFixed(0)} ms, ${result.sdk.length} clients)`,
      })),
      { metric: 'wsHeartbeat with the SDK bundled (bundleAwsSDK)', value: `${bundled.kb.toFixed(1)} KB, import ${median(bundled.importMs).toFixed(1)} ms` },
      { metric: 'largest bundle', value: `${largest.name}: ${(largest.bytes / 1024).toFixed(1)} KB`, target: `<= ${SIZE_TARGET_KB} KB`, ok: sizeOk },
      { metric: `slowest import (median of ${imports})`, value: `${slowest.name}: ${median(slowest.importMs).toFixed(1)} ms`, target: `< ${IMPORT_TARGET_MS} ms`, ok: importOk },
    ];
    return {
      rows,
      result: {
        parameters: {
          importsPerHandler: imports,
          bundling: 'esbuild, as PresenceFunction: bundle, minify, ESM, target node22, mainFields module,main, createRequire banner, external @aws-sdk/*, sourcemap (size excludes the .map)',
          importMeasure: 'node -e "await import(bundle)" in a fresh process; SDK from node_modules (the Lambda runtime provides it); time of the import only, not process start',
          node: process.version,
        },
        handlers: results.map((result) => ({
          name: result.name,
          entry: result.entry,
          kb: Number((result.bytes / 1024).toFixed(1)),
          mapKb: Number((result.mapBytes / 1024).toFixed(1)),
          inputs: result.inputs,
          largestInputs: result.largestInputs,
          importMsMedian: Number(median(result.importMs).toFixed(1)),
          importMsMax: Number(Math.max(...result.importMs).toFixed(1)),
          sdkPackages: result.sdk,
          sdkOnlyImportMsMedian: Number(median(result.sdkImportMs).toFixed(1)),
        })),
        sdkBundledVariant: { handler: 'wsHeartbeat', kb: Number(bundled.kb.toFixed(1)), importMsMedian: Number(median(bundled.importMs).toFixed(1)) },
        largestKb: Number((largest.bytes / 1024).toFixed(1)),
        slowestImportMsMedian: Number(median(slowest.importMs).toFixed(1)),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
