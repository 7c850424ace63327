#!/usr/bin/env node
/**
 * The CDK app: one presence stack, checked against the AWS Solutions rules (cdk-nag) on every
 * synth. Account and region come from the CLI's environment (CDK_DEFAULT_ACCOUNT/REGION); without
 * credentials the stack is environment-agnostic and still synthesizes.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PresenceStack } from '../lib/presence-stack';

const app = new App();

// Deployment choices from the CLI: `cdk deploy -c profile=development -c alarmEmail=oncall@example.com -c tracing=true`.
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined ? undefined : String(value);
};
const profile = context('profile');
if (profile !== undefined && profile !== 'production' && profile !== 'development')
  throw new Error(`-c profile must be production or development, got "${profile}"`);

new PresenceStack(app, 'Presence', {
  description: 'Presence service: HTTP and WebSocket APIs, Lambda, DynamoDB, SQS, EventBridge, Aurora Serverless v2 (Data API)',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  profile,
  alarmEmail: context('alarmEmail'),
  tracing: context('tracing') === 'true',
});

// cdk-nag 3 is a policy-validation plugin: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
