/**
 * Builds the app the way `cdk synth` does (the feature flags of cdk.json), for the infra tests.
 * Not a test file: jest only runs `*.test.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type AppProps } from 'aws-cdk-lib';
import { PresenceStack, type PresenceStackProps } from '../../lib/presence-stack';

export const projectRoot = path.resolve(__dirname, '..', '..');

const cdkJsonContext = (): Record<string, unknown> =>
  (JSON.parse(fs.readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

export interface TestStackOptions {
  /** Bundle the handlers with esbuild (slow); otherwise assets are left unbundled. */
  readonly bundle?: boolean;
  /**
   * Run CDK's built-in CloudFormation validation. Off by default: its WASM engine takes ~5 s to
   * start and keeps the jest worker from exiting promptly; `cdk synth` always runs it.
   */
  readonly cloudFormationValidation?: boolean;
  readonly outdir?: AppProps['outdir'];
  readonly props?: PresenceStackProps;
}

export const buildTestStack = (options: TestStackOptions = {}): { app: App; stack: PresenceStack } => {
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    context: {
      ...cdkJsonContext(),
      // An empty list means "bundle no stack": NodejsFunction assets point at the sources.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new PresenceStack(app, 'Presence', options.props);
  return { app, stack };
};
