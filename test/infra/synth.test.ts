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
const bundleSize = (fn: lambda.Function): number => {
  const cfn = fn.node.defaultChild as CfnElement;
  const s3Key = template.Resources[Stack.of(cfn).resolve(cfn.logicalId)].Properties.Code.S3Key as string;
  return fs.statSync(path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs')).size;
};

it.each([...Object.keys(handlers), ...Object.keys(deployHandlers)])('bundles the %s handler into an ESM file under 1 MB', (name) => {
  expect(bundleSize(functionNamed(stack, name))).toBeLessThan(ONE_MEGABYTE);
});

it('builds the web client into its asset: the page, its script and styles, a default config.js', () => {
  const bundle = path.join(outdir, stack.webClient.bundle.assetPath);
  expect(fs.readdirSync(bundle).sort()).toEqual(['app.js', 'app.js.map', 'config.js', 'index.html', 'styles.css']);
});
