/**
 * Operability of the synthesized stack (issue 11): the alarm topic, every alarm with an action,
 * the alarms the runbook names, the dashboard, and the deployment profiles and limits.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { handlers, streamConsumers, tables } from '../../lib/app-manifest';
import { DEPLOYMENT_PROFILES, type PresenceStackProps } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { type Json, logicalIdOf } from './template';

const synth = (props?: PresenceStackProps) => {
  const { stack } = buildTestStack({ props });
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Record<string, Json> };
};

const production = synth({ alarmEmail: 'oncall@example.com' });
const development = synth({ profile: 'development' });

const ofType = (resources: Record<string, Json>, type: string): [string, Json][] =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);
const alarms = (resources: Record<string, Json>) => ofType(resources, 'AWS::CloudWatch::Alarm');
const topicId = (): string => logicalIdOf(production.stack.monitoring.topic);

/** The alarms whose metric (or one metric of whose expression) has these dimensions and name. */
const alarmsOn = (resources: Record<string, Json>, metricName: string, dimension?: [string, unknown]): Json[] =>
  alarms(resources)
    .map(([, alarm]) => alarm.Properties)
    .filter((properties) => {
      const metrics: Json[] =
        properties.MetricName !== undefined
          ? [properties]
          : (properties.Metrics ?? []).flatMap((m: Json) => (m.MetricStat ? [m.MetricStat.Metric] : []));
      return metrics.some(
        (metric) =>
          metric.MetricName === metricName &&
          (dimension === undefined ||
            (metric.Dimensions ?? []).some(
              (d: Json) => d.Name === dimension[0] && JSON.stringify(d.Value) === JSON.stringify(dimension[1]),
            )),
      );
    });

describe('alarm topic', () => {
  it('exists, enforces TLS and mails the alarmEmail', () => {
    production.template.resourceCountIs('AWS::SNS::Topic', 1);
    production.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId() },
    });
    production.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('has no subscription without an alarmEmail', () => {
    development.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is notified by every alarm of the stack, the three older ones included', () => {
    const all = alarms(production.resources);
    expect(all.length).toBeGreaterThan(40);
    const silent = all.filter(([, alarm]) => !JSON.stringify(alarm.Properties.AlarmActions ?? []).includes(topicId())).map(([id]) => id);
    expect(silent).toEqual([]);
  });
});

describe('alarms', () => {
  const functionIds = [...production.stack.monitoring.alarms.keys()];

  it.each(Object.keys(handlers))('watch the errors and throttles of %s', (name) => {
    expect(functionIds).toEqual(expect.arrayContaining([`${name}Errors`, `${name}Throttles`]));
  });

  it('watch the depth of every dead-letter and on-failure queue', () => {
    const queues = ofType(production.resources, 'AWS::SQS::Queue');
    const redriveTargets = queues.flatMap(([, queue]) =>
      queue.Properties.RedrivePolicy ? [queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]] : [],
    );
    const onFailure = ofType(production.resources, 'AWS::Lambda::EventSourceMapping').flatMap(([, esm]) =>
      esm.Properties.DestinationConfig ? [esm.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0]] : [],
    );
    const deadLetterQueues = [...new Set([...redriveTargets, ...onFailure])];
    expect(deadLetterQueues.length).toBeGreaterThanOrEqual(2);
    for (const queueId of deadLetterQueues) {
      const watching = alarmsOn(production.resources, 'ApproximateNumberOfMessagesVisible', [
        'QueueName',
        { 'Fn::GetAtt': [queueId, 'QueueName'] },
      ]);
      expect({ queueId, alarms: watching.length }).toEqual({ queueId, alarms: 1 });
      expect(watching[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('watch the stream iterator age, the notifier duration near its timeout and the p99 delivery lag over 1 s', () => {
    // One per stream consumer: the notifier (5 s) and the last-seen recorder (5 min).
    expect(alarmsOn(production.resources, 'IteratorAge')).toHaveLength(streamConsumers.length);
    expect(alarmsOn(production.resources, 'Duration')).toEqual([
      expect.objectContaining({ Threshold: handlers.notify.timeoutSeconds * 1000 * 0.8, Statistic: 'Maximum' }),
    ]);
    expect(alarmsOn(production.resources, 'DeliveryLag')).toEqual([
      expect.objectContaining({ Threshold: 1000, ExtendedStatistic: 'p99', Namespace: 'Presence' }),
    ]);
  });

  it('watch the sweep backlog age and that the sweeper runs', () => {
    expect(alarmsOn(production.resources, 'SweepBacklogAge')).toEqual([
      expect.objectContaining({ Statistic: 'Maximum', Threshold: 180_000 }),
    ]);
    expect(alarmsOn(production.resources, 'Invocations')).toEqual([
      expect.objectContaining({ ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' }),
    ]);
  });

  it('watch sweeps that could not be queued or users a sweep could not settle', () => {
    // The planner does not fail when a shard's message cannot be sent (the next minute retries it),
    // and a shard worker settles the users it can: both are only visible as these metrics.
    expect(alarmsOn(production.resources, 'SweepShardsNotQueued')).toEqual([
      expect.objectContaining({ Statistic: 'Sum', Threshold: 1, Namespace: 'Presence' }),
    ]);
    expect(alarmsOn(production.resources, 'SweepUsersFailed')).toEqual([
      expect.objectContaining({ Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 3, DatapointsToAlarm: 2, Namespace: 'Presence' }),
    ]);
  });

  it('watch 5xx on the HTTP API and integration and execution errors on the WebSocket API', () => {
    expect(alarmsOn(production.resources, '5xx', ['ApiId', { Ref: logicalIdOf(production.stack.httpApi.api) }])).toHaveLength(1);
    for (const metric of ['IntegrationError', 'ExecutionError']) {
      expect(alarmsOn(production.resources, metric, ['ApiId', { Ref: logicalIdOf(production.stack.webSocketApi.api) }])).toHaveLength(1);
    }
  });

  it('watch DynamoDB throttling on the table and on every index', () => {
    const indexes = (tables.presence.globalSecondaryIndexes ?? []).map((index) => index.indexName);
    const throttleAlarms = alarmsOn(production.resources, 'WriteThrottleEvents');
    expect(throttleAlarms).toHaveLength(1 + indexes.length);
    for (const indexName of indexes)
      expect(alarmsOn(production.resources, 'WriteThrottleEvents', ['GlobalSecondaryIndexName', indexName])).toHaveLength(1);
  });

  it('watch the users database at its maximum capacity', () => {
    expect(alarmsOn(production.resources, 'ServerlessDatabaseCapacity')).toEqual([
      expect.objectContaining({ Threshold: 4, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
    ]);
  });
});

describe('dashboard', () => {
  const body = () => {
    const [[, dashboard]] = ofType(production.resources, 'AWS::CloudWatch::Dashboard');
    return JSON.stringify(dashboard.Properties.DashboardBody);
  };

  it('shows the golden signals of both APIs and the delivery pipeline', () => {
    for (const signal of [
      'ConnectionsOpened',
      'ChangesDecided',
      'DeliveryLag',
      'FanOut',
      'IteratorAge',
      'SweepBacklogAge',
      'ServerlessDatabaseCapacity',
      '5xx',
      'IntegrationError',
      'MessageCount',
      'Latency',
      'PostsFailed',
    ]) {
      expect(body()).toContain(signal);
    }
    expect(body()).toMatch(/p99/);
  });
});

describe('deployment profiles and limits', () => {
  const fnProperties = (template: Record<string, Json>, fn: { node: { defaultChild?: unknown } }) =>
    template[logicalIdOf(fn as never)].Properties;

  it('production reserves concurrency for the notifier, the fan-out and retry consumers, the grace consumer, the sweep planner and its workers', () => {
    for (const name of ['notify', 'fanOut', 'deliveryRetry', 'graceExpired', 'sweep', 'sweepShard'] as const) {
      const fn = production.stack.events.functions.get(name)?.function;
      expect(fnProperties(production.resources, fn!).ReservedConcurrentExecutions).toBe(
        DEPLOYMENT_PROFILES.production.reservedConcurrency[name],
      );
    }
  });

  it('development reserves none', () => {
    const reserved = ofType(development.resources, 'AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined,
    );
    expect(reserved).toEqual([]);
  });

  it('production keeps the database at 0.5 ACU or more with a reader; development scales to 0 with none', () => {
    production.template.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5 } });
    production.template.resourceCountIs('AWS::RDS::DBInstance', 2);
    development.template.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0 } });
    development.template.resourceCountIs('AWS::RDS::DBInstance', 1);
  });

  it('throttles POST /sessions and POST /users below the stage, after the routes exist', () => {
    const [[stageId, stage]] = ofType(production.resources, 'AWS::ApiGatewayV2::Stage').filter(
      ([, s]) => s.Properties.StageName === '$default',
    );
    expect(stage.Properties.RouteSettings).toEqual({
      'POST /sessions': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /users': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const routeIds = ofType(production.resources, 'AWS::ApiGatewayV2::Route')
      .filter(([, route]) => ['POST /sessions', 'POST /users'].includes(route.Properties.RouteKey))
      .map(([id]) => id);
    expect(production.resources[stageId].DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('retains the token key and the database master secret with the data, and deletes them with a disposable stack', () => {
    const secrets = (resources: Record<string, Json>) =>
      ofType(resources, 'AWS::SecretsManager::Secret').map(([, secret]) => secret.DeletionPolicy);
    expect(secrets(production.resources)).toEqual(['Retain', 'Retain']);
    expect(secrets(development.resources)).toEqual(['Delete', 'Delete']);
  });

  it('logs in JSON and traces only when asked', () => {
    const functions = ofType(production.resources, 'AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined,
    );
    expect(functions.length).toBeGreaterThan(15);
    for (const [, fn] of functions) {
      expect(fn.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON' });
      expect(fn.Properties.TracingConfig).toBeUndefined();
    }
    const traced = synth({ profile: 'development', tracing: true });
    for (const [, fn] of ofType(traced.resources, 'AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined,
    )) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('refuses to synthesize a lease shorter than 2.5 heartbeats', () => {
    expect(() => synth({ profile: 'development', leaseSeconds: 149, heartbeatSeconds: 60 })).toThrow(
      /leaseSeconds \(149\) must be at least 2.5 x heartbeatSeconds \(60\) = 150/,
    );
    expect(() => synth({ profile: 'development', leaseSeconds: 150, heartbeatSeconds: 60 })).not.toThrow();
  });
});
