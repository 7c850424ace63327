/**
 * `coldstart`: every handler bundled as lib/constructs/presence-function.ts bundles it (the shared
 * HANDLER_BUNDLING options: minified ESM for node22, the SDK clients it uses bundled in, sourcemap
 * beside the file) into a temp dir; its size (target <= 150 KB) and the time to import it in a
 * fresh Node process (median of 10; target < 100 ms). For comparison, each is also built the other
 * way, with `@aws-sdk/*` left to the Lambda runtime's copy (stood in for by this repository's
 * node_modules, linked next to the bundles).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { deployHandlers, handlers } from '../../lib/app-manifest';
import { handlerEsbuildOptions, sdkClientsOf } from '../../lib/handler-bundling';
import { median } from '../lib/stats';
import type { Row, ScenarioOutput } from './types';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const SIZE_TARGET_KB = 150;
const IMPORT_TARGET_MS = 100;

const bundleOptions = (entry: string, outfile: string, external?: readonly string[]) =>
  handlerEsbuildOptions(path.join(ROOT, entry), outfile, external);

/** Bytes of the bundle that are AWS SDK code (`@aws-sdk/*`, `@smithy/*` and their dependencies). */
const sdkBytes = (output: Metafile['outputs'][string] | undefined): number =>
  Object.entries(output?.inputs ?? {}).reduce(
    (sum, [input, info]) =>
      sum +
      (/node_modules\/(@aws-sdk|@smithy|@aws|mnemonist|obliterator|tslib|fast-xml-parser|strnum|bowser|uuid)\//.test(input)
        ? info.bytesInOutput
        : 0),
    0,
  );

/** Imports the modules in a fresh process (cwd `dir`) and reports how long the imports took (ms). */
const importOnce = async (dir: string, specifiers: readonly string[]): Promise<number> => {
  const imports = specifiers.map((specifier) => `await import(${JSON.stringify(specifier)});`).join('');
  const script = `const t=performance.now();${imports}process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await run(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
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
    const results: {
      name: string;
      entry: string;
      bytes: number;
      sdkBytes: number;
      mapBytes: number;
      inputs: number;
      largestInputs: { path: string; bytes: number }[];
      sdk: string[];
      importMs: number[];
      external: { bytes: number; importMs: number[] };
    }[] = [];
    for (const [name, spec] of Object.entries(all)) {
      const outDir = path.join(dir, name);
      await mkdir(outDir);
      const outfile = path.join(outDir, 'index.mjs');
      const built = await build(bundleOptions(spec.entry, outfile));
      const output = Object.entries(built.metafile.outputs).find(([key]) => key.endsWith(`${name}/index.mjs`))?.[1];
      const bytes = (await stat(outfile)).size;
      const mapBytes = (await stat(`${outfile}.map`)).size;
      const largestInputs = Object.entries(output?.inputs ?? {})
        .map(([input, info]) => ({ path: input.replace(/^.*node_modules\//, ''), bytes: info.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 3);
      const importMs = await medianImport(dir, [pathToFileURL(outfile).href], imports);
      // The other way: the SDK left to the runtime's copy (NodejsFunction's default).
      const externalFile = path.join(dir, `${name}-sdk-external`, 'index.mjs');
      await mkdir(path.dirname(externalFile));
      await build(bundleOptions(spec.entry, externalFile, ['@aws-sdk/*']));
      const external = {
        bytes: (await stat(externalFile)).size,
        importMs: await medianImport(dir, [pathToFileURL(externalFile).href], imports),
      };
      const sdk = sdkClientsOf(output);
      results.push({
        name,
        entry: spec.entry,
        bytes,
        sdkBytes: sdkBytes(output),
        mapBytes,
        inputs: Object.keys(output?.inputs ?? {}).length,
        largestInputs,
        sdk,
        importMs,
        external,
      });
      log(
        `  ${name.padEnd(14)} ${(bytes / 1024).toFixed(1).padStart(6)} KB  import median ${median(importMs).toFixed(1).padStart(5)} ms` +
          `  [${sdk.join(', ') || 'no SDK'}]  SDK external: ${(external.bytes / 1024).toFixed(1)} KB, ${median(external.importMs).toFixed(1)} ms`,
      );
    }
    const largest = results.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const slowest = results.reduce((a, b) => (median(b.importMs) > median(a.importMs) ? b : a));
    const slowestExternal = results.reduce((a, b) => (median(b.external.importMs) > median(a.external.importMs) ? b : a));
    const largestOwn = results.reduce((a, b) => (b.bytes - b.sdkBytes > a.bytes - a.sdkBytes ? b : a));
    const sizeOk = largest.bytes <= SIZE_TARGET_KB * 1024;
    const importOk = median(slowest.importMs) < IMPORT_TARGET_MS;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const rows: Row[] = [
      ...results.map((result) => ({
        metric: `${result.name} (${result.entry.replace('lambdas/handlers/', '')})`,
        value:
          `${kb(result.bytes)} (SDK ${kb(result.sdkBytes)}: ${result.sdk.join(', ') || 'none'}), import ${median(result.importMs).toFixed(1)} ms; ` +
          `SDK external: ${kb(result.external.bytes)}, ${median(result.external.importMs).toFixed(1)} ms`,
      })),
      { metric: 'largest bundle', value: `${largest.name}: ${kb(largest.bytes)}`, target: `<= ${SIZE_TARGET_KB} KB`, ok: sizeOk },
      { metric: 'largest bundle without its SDK code', value: `${largestOwn.name}: ${kb(largestOwn.bytes - largestOwn.sdkBytes)}` },
      {
        metric: `slowest import (median of ${imports})`,
        value: `${slowest.name}: ${median(slowest.importMs).toFixed(1)} ms`,
        target: `< ${IMPORT_TARGET_MS} ms`,
        ok: importOk,
      },
      {
        metric: 'slowest import, SDK left to the runtime',
        value: `${slowestExternal.name}: ${median(slowestExternal.external.importMs).toFixed(1)} ms (largest ${kb(Math.max(...results.map((r) => r.external.bytes)))})`,
      },
    ];
    return {
      rows,
      result: {
        parameters: {
          importsPerHandler: imports,
          bundling:
            'esbuild with lib/handler-bundling.ts (as PresenceFunction): bundle, minify, ESM, target node22, mainFields module,main, createRequire banner, SDK clients bundled, lazy credential providers external, sourcemap (size excludes the .map)',
          comparison: 'the same with @aws-sdk/* external, loaded from node_modules as the Lambda runtime would provide it',
          importMeasure: 'node -e "await import(bundle)" in a fresh process; time of the import only, not process start',
          node: process.version,
        },
        handlers: results.map((result) => ({
          name: result.name,
          entry: result.entry,
          kb: Number((result.bytes / 1024).toFixed(1)),
          sdkKb: Number((result.sdkBytes / 1024).toFixed(1)),
          sdkClients: result.sdk,
          mapKb: Number((result.mapBytes / 1024).toFixed(1)),
          inputs: result.inputs,
          largestInputs: result.largestInputs,
          importMsMedian: Number(median(result.importMs).toFixed(1)),
          importMsMax: Number(Math.max(...result.importMs).toFixed(1)),
          sdkExternal: {
            kb: Number((result.external.bytes / 1024).toFixed(1)),
            importMsMedian: Number(median(result.external.importMs).toFixed(1)),
          },
        })),
        largestKb: Number((largest.bytes / 1024).toFixed(1)),
        largestWithoutSdkKb: Number(((largestOwn.bytes - largestOwn.sdkBytes) / 1024).toFixed(1)),
        slowestImportMsMedian: Number(median(slowest.importMs).toFixed(1)),
        slowestImportMsMedianSdkExternal: Number(median(slowestExternal.external.importMs).toFixed(1)),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
