import { Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { type Capability, ENV } from '../../lib/app-manifest';
import { type CapabilityResources, grantCapabilities } from '../../lib/constructs/capabilities';

type Json = Record<string, any>;

const prepare = (): { stack: Stack; fn: lambda.Function; resources: CapabilityResources } => {
  const stack = new Stack();
  const fn = new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromInline('export const handler = async () => ({})'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  const webSocketApi = new apigwv2.WebSocketApi(stack, 'WebSocketApi');
  const resources: CapabilityResources = {
    presenceTable: dynamodb.TableV2.fromTableName(stack, 'Table', 'presence'),
    database: {
      cluster: rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'Cluster', { clusterIdentifier: 'users' }),
      secret: secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'db'),
      databaseName: 'presence',
    },
    tokenSigningKey: secretsmanager.Secret.fromSecretNameV2(stack, 'TokenKey', 'tokens'),
    webSocketStage: new apigwv2.WebSocketStage(stack, 'Stage', { webSocketApi, stageName: 'live' }),
    graceQueue: new sqs.Queue(stack, 'GraceQueue'),
    fanOutQueue: new sqs.Queue(stack, 'FanOutQueue'),
    deliveryRetryQueue: new sqs.Queue(stack, 'DeliveryRetryQueue'),
    sweepQueue: new sqs.Queue(stack, 'SweepQueue'),
  };
  return { stack, fn, resources };
};

const environmentOf = (stack: Stack, fn: lambda.Function): Json =>
  stack.resolve((fn.node.defaultChild as lambda.CfnFunction).environment) as Json;

it('points the connections capability at the stage callback URL', () => {
  const { stack, fn, resources } = prepare();
  grantCapabilities(fn, ['connections'], resources);
  expect(environmentOf(stack, fn).variables[ENV.connectionsEndpoint]).toEqual(stack.resolve(resources.webSocketStage.callbackUrl));
});

it('points the graceQueue capability at the queue URL', () => {
  const { stack, fn, resources } = prepare();
  grantCapabilities(fn, ['graceQueue'], resources);
  expect(environmentOf(stack, fn).variables[ENV.graceQueueUrl]).toEqual(stack.resolve(resources.graceQueue.queueUrl));
});

it.each([
  ['fanOutQueue', ENV.fanOutQueueUrl],
  ['deliveryRetryQueue', ENV.deliveryRetryQueueUrl],
  ['sweepQueue', ENV.sweepQueueUrl],
] as const)('points the %s capability at its queue URL and lets it send, nothing more', (capability, variable) => {
  const { stack, fn, resources } = prepare();
  grantCapabilities(fn, [capability], resources);
  expect(environmentOf(stack, fn).variables[variable]).toEqual(stack.resolve(resources[capability].queueUrl));
  const statements = stack.resolve((fn.role!.node.tryFindChild('DefaultPolicy') as iam.Policy).document).Statement as Json[];
  expect(statements.map((statement) => [statement.Action, statement.Resource])).toEqual([
    [['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], stack.resolve(resources[capability].queueArn)],
  ]);
});

it('refuses a capability name it does not know', () => {
  const { fn, resources } = prepare();
  expect(() => grantCapabilities(fn, ['telepathy' as Capability], resources)).toThrow('Capability "telepathy" has no CDK wiring');
});
