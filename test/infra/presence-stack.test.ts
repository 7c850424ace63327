import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  type Capability,
  deployHandlers,
  ENV,
  type HandlerName,
  type HandlerSpec,
  handlers,
  httpRoutes,
  streamConsumers,
} from '../../lib/app-manifest';
import type { PresenceStack } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { flatten, functionNamed, type Json, logicalIdOf, manifestFunctions, permissionsOf } from './template';

let stack: PresenceStack;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  ({ stack } = buildTestStack());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const handlerNames = Object.keys(handlers) as HandlerName[];
const manifestSpecs: Record<string, HandlerSpec> = { ...handlers, ...deployHandlers };
const functionProperties = (fn: lambda.Function): Json => resources[logicalIdOf(fn)].Properties;
const allowed = (fn: lambda.Function): { action: string; resource: unknown }[] => permissionsOf(resources, fn);

/** What a stream event source mapping grants its function (on the table's stream, ListStreams on any). */
const STREAM_READ = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

const handlersUsing = (capability: Capability, using = true): HandlerName[] =>
  handlerNames.filter((name) => (handlers[name].uses as readonly Capability[]).includes(capability) === using);

const fn = (name: HandlerName): lambda.Function => functionNamed(stack, name);

/** The routes of the HTTP API (the WebSocket API has its own, see websocket-api-routes.test.ts). */
const httpApiRoutes = (): Json[] =>
  Object.values(resources).filter(
    (r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.ApiId.Ref === logicalIdOf(stack.httpApi.api),
  );

describe('HTTP API', () => {
  it.each(httpRoutes.map((route) => [`${route.method} ${route.path}`, route.handler]))(
    'routes %s to the %s function',
    (routeKey, handler) => {
      const route = httpApiRoutes().find((r) => r.Properties.RouteKey === routeKey);
      const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref as string;
      expect(resources[integrationId]?.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [logicalIdOf(fn(handler)), 'Arn'] });
    },
  );

  it('has exactly one route per contract entry', () => {
    expect(httpApiRoutes()).toHaveLength(httpRoutes.length);
  });

  it('has no catch-all route ($default or {proxy+})', () => {
    const routeKeys = httpApiRoutes().map((route) => route.Properties.RouteKey as string);
    expect(routeKeys.filter((key) => key === '$default' || key.includes('+}'))).toEqual([]);
  });

  it('answers CORS preflight for any origin with the authorization and content-type headers', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['*'],
        AllowHeaders: ['authorization', 'content-type'],
        AllowMethods: [...new Set(httpRoutes.map((route) => route.method))],
      },
    });
  });

  it('throttles the default stage with the default limits', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
  });

  it('writes access logs of the default stage to a log group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });

  it('outputs the API URL as HttpApiUrl', () => {
    template.hasOutput('HttpApiUrl', { Value: Match.anyValue() });
  });
});

describe('functions', () => {
  it('builds every manifest handler exactly once', () => {
    const built = manifestFunctions(stack)
      .map(([name]) => name)
      .sort();
    expect(built).toEqual(Object.keys(manifestSpecs).sort());
  });

  it('runs every manifest handler on nodejs22.x and arm64', () => {
    const actual = Object.fromEntries(
      manifestFunctions(stack).map(([name, fn]) => [
        name,
        { runtime: functionProperties(fn).Runtime, architectures: functionProperties(fn).Architectures },
      ]),
    );
    const expected = Object.fromEntries(
      Object.keys(manifestSpecs).map((name) => [name, { runtime: 'nodejs22.x', architectures: ['arm64'] }]),
    );
    expect(actual).toEqual(expected);
  });

  it('sizes every function as the manifest says', () => {
    const actual = Object.fromEntries(
      manifestFunctions(stack).map(([name, fn]) => [
        name,
        { memory: functionProperties(fn).MemorySize, timeout: functionProperties(fn).Timeout },
      ]),
    );
    const expected = Object.fromEntries(
      Object.entries(manifestSpecs).map(([name, spec]) => [name, { memory: spec.memoryMb, timeout: spec.timeoutSeconds }]),
    );
    expect(actual).toEqual(expected);
  });

  it('gives every function exactly the environment its capabilities need', () => {
    const common = [
      ...[
        ENV.leaseSeconds,
        ENV.graceSeconds,
        ENV.sweepShards,
        ENV.heartbeatSeconds,
        ENV.tokenTtlSeconds,
        ENV.metricsNamespace,
        ENV.serviceName,
      ],
      ...[ENV.postingPaces, 'NODE_OPTIONS'],
    ];
    const byCapability: Record<Capability, string[]> = {
      presenceTable: [ENV.presenceTable],
      presenceTableRead: [ENV.presenceTable],
      logInAttempts: [ENV.presenceTable],
      database: [ENV.dbResourceArn, ENV.dbSecretArn, ENV.dbName, ENV.dataApiResumeWaitMs],
      tokens: [ENV.tokenSecretArn],
      connections: [ENV.connectionsEndpoint],
      graceQueue: [ENV.graceQueueUrl],
      webSocketUrl: [ENV.webSocketUrl],
      fanOutQueue: [ENV.fanOutQueueUrl],
      deliveryRetryQueue: [ENV.deliveryRetryQueueUrl],
      sweepQueue: [ENV.sweepQueueUrl],
    };
    const actual = Object.fromEntries(
      manifestFunctions(stack).map(([name, fn]) => [name, Object.keys(functionProperties(fn).Environment.Variables).sort()]),
    );
    const expected = Object.fromEntries(
      Object.entries(manifestSpecs).map(([name, spec]) => [
        name,
        [...common, ...spec.uses.flatMap((capability) => byCapability[capability])].sort(),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it.each(handlersUsing('database'))(
    'lets %s wait for a resuming Aurora only while it can still answer (3 s before its timeout)',
    (handler) => {
      const waitMs = Number(functionProperties(fn(handler)).Environment.Variables[ENV.dataApiResumeWaitMs]);
      expect(waitMs).toBeLessThanOrEqual((handlers[handler].timeoutSeconds - 3) * 1000);
    },
  );

  it.each(handlersUsing('connections'))(
    "paces the posts of %s at its lane's share of the posting budget (5,000/s: notifier 60 % over 16 lanes, fan-out 35 % over 10, retries 5 % over 2)",
    (handler) => {
      const variables = functionProperties(fn(handler)).Environment.Variables;
      // 4 stream shards x ParallelizationFactor 4 notifier lanes, 10 fan-out and 2 retry consumers.
      expect(JSON.parse(variables[ENV.postingPaces])).toEqual({
        notify: { postsPerSecond: 187.5, burst: 93 },
        fanOut: { postsPerSecond: 175, burst: 87 },
        deliveryRetry: { postsPerSecond: 125, burst: 62 },
      });
    },
  );

  it('paces posts at the posting budget the deployment sets', () => {
    const { stack: raised } = buildTestStack({ props: { posting: { postsPerSecond: 20_000, streamShards: 12 } } });
    const variables = (Template.fromStack(raised).toJSON().Resources as Record<string, Json>)[logicalIdOf(functionNamed(raised, 'fanOut'))]
      .Properties.Environment.Variables;
    // 12 x 4 = 48 notifier lanes share 60 % of 20,000/s and of the default burst of 2,500; 10 fan-out consumers 35 %; 2 retry consumers 5 %.
    expect(JSON.parse(variables[ENV.postingPaces])).toEqual({
      notify: { postsPerSecond: 250, burst: 31 },
      fanOut: { postsPerSecond: 700, burst: 87 },
      deliveryRetry: { postsPerSecond: 500, burst: 62 },
    });
  });

  it("gives a popular user's fan-out the share the deployment sets, and refuses shares over the budget", () => {
    const shares = { notify: 0.5, fanOut: 0.45, deliveryRetry: 0.05 };
    const { stack: tuned } = buildTestStack({ props: { posting: { shares } } });
    const variables = (Template.fromStack(tuned).toJSON().Resources as Record<string, Json>)[logicalIdOf(functionNamed(tuned, 'fanOut'))]
      .Properties.Environment.Variables;
    // 45 % of 5,000/s over the 10 fan-out consumers.
    expect(JSON.parse(variables[ENV.postingPaces]).fanOut).toEqual({ postsPerSecond: 225, burst: 112 });
    expect(() => buildTestStack({ props: { posting: { shares: { notify: 0.7, fanOut: 0.35, deliveryRetry: 0.05 } } } })).toThrow(
      /posting shares must be positive and add up to at most 1/,
    );
  });

  it.each(handlersUsing('connections'))('tells %s the stage callback URL as the @connections endpoint', (handler) => {
    const endpoint = flatten(functionProperties(fn(handler)).Environment.Variables[ENV.connectionsEndpoint]);
    expect(endpoint).toMatch(new RegExp(`^https://<${logicalIdOf(stack.webSocketApi.api)}>\\.execute-api\\..+/live$`));
  });

  it.each(handlersUsing('webSocketUrl'))('tells %s the stage URL clients connect to', (handler) => {
    const url = flatten(functionProperties(fn(handler)).Environment.Variables[ENV.webSocketUrl]);
    expect(url).toMatch(new RegExp(`^wss://<${logicalIdOf(stack.webSocketApi.api)}>\\.execute-api\\..+/live$`));
  });

  it('keeps function logs for one month', () => {
    const retentions = manifestFunctions(stack).map(([, fn]) => {
      const logGroupId = functionProperties(fn).LoggingConfig.LogGroup.Ref as string;
      return resources[logGroupId].Properties.RetentionInDays as number;
    });
    expect(new Set(retentions)).toEqual(new Set([30]));
  });
});

describe('least privilege', () => {
  it.each(handlersUsing('tokens'))('lets %s read the token signing key', (handler) => {
    const secretId = logicalIdOf(stack.tokenSigningKey.secret);
    expect(allowed(fn(handler))).toContainEqual({ action: 'secretsmanager:GetSecretValue', resource: { Ref: secretId } });
  });

  it.each(handlersUsing('tokens', false))('gives %s, which does not use tokens, no access to the signing key', (handler) => {
    const secretId = logicalIdOf(stack.tokenSigningKey.secret);
    expect(allowed(fn(handler)).filter(({ resource }) => JSON.stringify(resource).includes(secretId))).toEqual([]);
  });

  it.each(handlersUsing('database'))('lets %s run Data API statements on the cluster', (handler) => {
    expect(allowed(fn(handler)).map(({ action }) => action)).toContain('rds-data:ExecuteStatement');
  });

  it.each(handlersUsing('database', false))('gives %s, which does not use the database, no rds-data permission', (handler) => {
    expect(allowed(fn(handler)).filter(({ action }) => action.startsWith('rds-data:'))).toEqual([]);
  });

  const presenceTableUsers = new Set([
    ...handlersUsing('presenceTable'),
    ...handlersUsing('presenceTableRead'),
    ...handlersUsing('logInAttempts'),
  ]);
  it.each(handlerNames.filter((name) => !presenceTableUsers.has(name)))(
    'gives %s, which does not use the presence table, no DynamoDB permission but reading a stream it consumes',
    (handler) => {
      const consumesStream = streamConsumers.some((consumer) => consumer.handler === handler);
      const streamRead = ({ action, resource }: { action: string; resource: unknown }) =>
        consumesStream && STREAM_READ.includes(action) && /StreamArn|^"\*"$/.test(JSON.stringify(resource));
      expect(allowed(fn(handler)).filter((grant) => grant.action.startsWith('dynamodb:') && !streamRead(grant))).toEqual([]);
    },
  );

  it.each(handlersUsing('connections'))('lets %s post to, look up and close any connection of the WebSocket stage', (handler) => {
    const manageConnections = allowed(fn(handler))
      .filter(({ action }) => action === 'execute-api:ManageConnections')
      .map(({ resource }) => flatten(resource));
    // <api>/<stage>/<method>/@connections/<id>: any method (POST, GET, DELETE), any connection, this API and stage only.
    expect(manageConnections).toEqual([
      expect.stringMatching(new RegExp(`:<${logicalIdOf(stack.webSocketApi.api)}>/live/\\*/@connections/\\*$`)),
    ]);
  });

  it.each(handlersUsing('connections', false))('gives %s, which does not use connections, no execute-api:ManageConnections', (handler) => {
    expect(allowed(fn(handler)).filter(({ action }) => action.startsWith('execute-api:'))).toEqual([]);
  });

  it.each(handlersUsing('graceQueue'))('lets %s send to the grace queue', (handler) => {
    expect(allowed(fn(handler))).toContainEqual({
      action: 'sqs:SendMessage',
      resource: { 'Fn::GetAtt': [logicalIdOf(stack.graceQueue.queue), 'Arn'] },
    });
  });

  it.each(handlersUsing('graceQueue', false))('gives %s, which does not use the grace queue, no sqs:SendMessage on it', (handler) => {
    const queueId = logicalIdOf(stack.graceQueue.queue);
    expect(
      allowed(fn(handler)).filter(({ action, resource }) => action === 'sqs:SendMessage' && JSON.stringify(resource).includes(queueId)),
    ).toEqual([]);
  });

  const dynamoDbActions = (handler: HandlerName): string[] =>
    [
      ...new Set(
        allowed(fn(handler))
          .filter(({ action }) => action.startsWith('dynamodb:'))
          .map(({ action }) => action),
      ),
    ].sort();

  it.each(['getUser', 'searchUsers', 'getPresence', 'getMe'] as const)(
    'lets %s, a read-only route, only read presence items',
    (handler) => {
      expect(dynamoDbActions(handler)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    },
  );

  it("lets logIn only count attempts: UpdateItem on the limit's own items (RL#...)", () => {
    const statements = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((policy) => (policy.Properties.Roles as Json[]).some((role) => role.Ref === logicalIdOf(fn('logIn').role!)))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')));

    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RL#*'] } },
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack.tables.presence), 'Arn'] },
      }),
    ]);
  });

  it('lets the migration run Data API statements on the cluster', () => {
    expect(allowed(stack.schemaMigration.handler.function).map(({ action }) => action)).toContain('rds-data:ExecuteStatement');
  });

  it('generates the token signing key as 64 characters without punctuation', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
  });
});

describe('deploy ordering', () => {
  it.each(handlerNames)('creates the %s function only once the schema migration has run', (handler) => {
    expect(resources[logicalIdOf(fn(handler))].DependsOn).toContain(logicalIdOf(stack.schemaMigration.resource));
  });
});

describe('presence table', () => {
  it('expires items by the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } });
  });

  it('has point-in-time recovery enabled', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('streams new and old images', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  it('has the keys-only sweep index on sweepKey and sweepAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'sweep',
          KeySchema: [
            { AttributeName: 'sweepKey', KeyType: 'HASH' },
            { AttributeName: 'sweepAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('bills per request', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { BillingMode: 'PAY_PER_REQUEST' });
  });

  it('is retained and deletion protected by default', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] }),
    });
  });
});

describe('users database', () => {
  it('enables the Data API', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { EnableHttpEndpoint: true });
  });

  it('encrypts storage', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true });
  });

  it('keeps 0.5 ACU (never pauses) and scales up to 4 by default (production profile)', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 } });
  });

  it('runs Aurora PostgreSQL 16.3 or later, the first 16.x with auto-pause', () => {
    const [cluster] = Object.values(template.findResources('AWS::RDS::DBCluster'));
    const [major, minor] = String(cluster.Properties.EngineVersion).split('.').map(Number);
    expect({ engine: cluster.Properties.Engine, major, supportsAutoPause: minor >= 3 }).toEqual({
      engine: 'aurora-postgresql',
      major: 16,
      supportsAutoPause: true,
    });
  });

  it('creates the presence database', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { DatabaseName: 'presence' });
  });

  it('has no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('has no internet gateway', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });
});

describe('schema migration', () => {
  it('is a custom resource keyed by a hash of the migrations', () => {
    template.hasResourceProperties('Custom::SchemaMigration', { MigrationsHash: Match.stringLikeRegexp('^[0-9a-f]{64}$') });
  });

  it('runs after the writer instance exists', () => {
    const writer = stack.database.cluster.node.findChild('Writer');
    template.hasResource('Custom::SchemaMigration', { DependsOn: Match.arrayWith([logicalIdOf(writer)]) });
  });
});
