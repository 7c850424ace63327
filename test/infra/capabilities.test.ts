import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Capability } from '../../lib/app-manifest';
import { type CapabilityResources, grantCapabilities } from '../../lib/constructs/capabilities';

const prepare = (): { fn: lambda.Function; resources: CapabilityResources } => {
  const stack = new Stack();
  const fn = new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromInline('export const handler = async () => ({})'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
  });
  const resources: CapabilityResources = {
    presenceTable: dynamodb.TableV2.fromTableName(stack, 'Table', 'presence'),
    database: {
      cluster: rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'Cluster', { clusterIdentifier: 'users' }),
      secret: secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'db'),
      databaseName: 'presence',
    },
    tokenSigningKey: secretsmanager.Secret.fromSecretNameV2(stack, 'TokenKey', 'tokens'),
  };
  return { fn, resources };
};

it.each<Capability>(['connections', 'graceQueue'])('refuses the %s capability until it is wired', (capability) => {
  const { fn, resources } = prepare();
  expect(() => grantCapabilities(fn, [capability], resources)).toThrow(`Capability "${capability}" has no CDK wiring`);
});

it('refuses a capability name it does not know', () => {
  const { fn, resources } = prepare();
  expect(() => grantCapabilities(fn, ['telepathy' as Capability], resources)).toThrow('Capability "telepathy" has no CDK wiring');
});
