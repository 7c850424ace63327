import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { deployHandlers, handlers } from '../../lib/app-manifest';
import type { PresenceStack } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { functionNamed } from './template';

/** The suite's one real bundle: every handler through esbuild, as `cdk synth` and `cdk deploy` do. */
const ONE_MEGABYTE = 1024 * 1024;

let outdir: string;
let stack: PresenceStack;
let template: Record<string, any>;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'presence-synth-'));
  const built = buildTestStack({ bundle: true, outdir });
  stack = built.stack;
  template = built.app.synth().getStackByName(stack.stackName).template;
}, 120_000);

afterAll(() => {
  fs.rmSync(outdir, { recursive: true, force: true });
});

/** Size of the bundled `index.mjs` of a function's code asset; throws when the asset is missing. */
const bundlePath = (fn: lambda.Function): string => {
  const cfn = fn.node.defaultChild as CfnElement;
  const s3Key = template.Resources[Stack.of(cfn).resolve(cfn.logicalId)].Properties.Code.S3Key as string;
  return path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
};
const bundleSize = (fn: lambda.Function): number => fs.statSync(bundlePath(fn)).size;

it.each([...Object.keys(handlers), ...Object.keys(deployHandlers)])('bundles the %s handler into an ESM file under 1 MB', (name) => {
  expect(bundleSize(functionNamed(stack, name))).toBeLessThan(ONE_MEGABYTE);
});

it('gives every bundle what it needs to load on its own: imported in a fresh Node process with no node_modules, each exports its handler', () => {
  const bundles = [...Object.keys(handlers), ...Object.keys(deployHandlers)].map((name) => bundlePath(functionNamed(stack, name)));
  const script = `for (const file of ${JSON.stringify(bundles)}) { const m = await import(file); if (typeof m.handler !== 'function') throw new Error(file + ' exports no handler'); } process.stdout.write('ok');`;
  // As on Lambda: the SDK clients are in the bundle; nothing resolves from a node_modules (cwd is the empty outdir's parent).
  const out = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' },
  });
  expect(out.toString()).toBe('ok');
}, 60_000);

it('builds the web client into its asset: the page, its script and styles, a default config.js', () => {
  const bundle = path.join(outdir, stack.webClient.bundle.assetPath);
  expect(fs.readdirSync(bundle).sort()).toEqual(['app.js', 'app.js.map', 'config.js', 'index.html', 'styles.css']);
});
