import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { MetricName } from '../../lambdas/shared/metrics';

/** Props of {@link PresenceMonitoring}. */
export interface PresenceMonitoringProps {
  /** Where alarms are sent by email (a subscription the address must confirm); none: subscribe to the topic yourself. */
  readonly alarmEmail?: string;
  /** The CloudWatch namespace and `service` dimension the handlers' EMF metrics are written under. */
  readonly metricsNamespace: string;
  readonly serviceName: string;
  /** Every request and event function, by handler name: each gets an errors and a throttles alarm. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  /** The stream notifier and its timeout: its duration alarm fires near the timeout (the precursor of a stuck shard). */
  readonly notifier: { readonly fn: lambda.IFunction; readonly timeout: Duration };
  /** The scheduled sweeper: an alarm fires when it stops running. */
  readonly sweeper: lambda.IFunction;
  /** Dead-letter and on-failure queues that have no depth alarm yet: each gets one (depth > 0). */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  readonly httpApi: apigwv2.IHttpApi;
  readonly webSocketApi: apigwv2.IWebSocketApi;
  readonly webSocketStageName: string;
  /** The presence table and its global secondary indexes (throttling alarms on each). */
  readonly table: dynamodb.ITableV2;
  readonly indexNames: readonly string[];
  /** The users database and its maximum capacity (ACUs): an alarm fires while it runs at the maximum. */
  readonly cluster: rds.IDatabaseCluster;
  readonly databaseMaxCapacity: number;
  /**
   * Age of the oldest unswept bucket above which the sweep backlog alarm fires: leases that ran out
   * that long ago are not settled yet (users shown online who are not).
   * @default Duration.minutes(3)
   */
  readonly sweepBacklogThreshold?: Duration;
  /**
   * p99 delivery lag (post time minus the change's `changedAt`) above which its alarm fires.
   * @default Duration.seconds(1)
   */
  readonly deliveryLagThreshold?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/**
 * What an operator of the service watches and is woken by: one SNS topic that every alarm of the
 * stack notifies (`notifyOnEveryAlarm`, including alarms other constructs made), the alarms the
 * runbook (docs/operations.md) explains, and a dashboard with the golden signals of both APIs and
 * the delivery pipeline. The custom metrics are the handlers' EMF metrics (lambdas/shared/metrics.ts).
 */
export class PresenceMonitoring extends Construct {
  /** Every alarm notifies this topic. */
  public readonly topic: sns.Topic;
  /** The alarms created here, by id. */
  public readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly props: PresenceMonitoringProps;

  constructor(scope: Construct, id: string, props: PresenceMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: `${Stack.of(this).stackName} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const alarms = new Map<string, cloudwatch.Alarm>();
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...alarmProps });
      alarms.set(alarmId, created);
      return created;
    };
    const atLeastOnce = (metric: cloudwatch.IMetric, description: string, alarmId: string) =>
      alarm(alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });

    for (const [name, fn] of props.functions) {
      atLeastOnce(
        fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        `${name}: the function failed (crash or timeout); see its log group.`,
        `${name}Errors`,
      );
      atLeastOnce(
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        `${name}: invocations were throttled (account or reserved concurrency reached).`,
        `${name}Throttles`,
      );
    }

    alarm('NotifierDurationNearTimeout', {
      alarmDescription: 'The notifier runs close to its timeout: a batch that times out is retried and blocks its shard.',
      metric: props.notifier.fn.metricDuration({ period: ONE_MINUTE, statistic: 'Maximum' }),
      threshold: props.notifier.timeout.toMilliseconds() * 0.8,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    alarm('SweeperNotRunning', {
      alarmDescription: 'The sweeper has not run for 10 minutes: expired leases are not settled.',
      metric: props.sweeper.metricInvocations({ period: Duration.minutes(10), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm('SweepBacklog', {
      alarmDescription: 'The oldest unswept bucket is old: users whose leases ran out are still shown online.',
      metric: this.metric('SweepBacklogAge', { period: ONE_MINUTE, statistic: 'Maximum' }),
      threshold: (props.sweepBacklogThreshold ?? Duration.minutes(3)).toMilliseconds(),
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // Neither fails an invocation (the planner retries an unqueued shard next minute; a shard worker
    // settles the users it can), so only these metrics show them.
    atLeastOnce(
      this.metric('SweepShardsNotQueued', { period: FIVE_MINUTES, statistic: 'Sum' }),
      'The sweep planner could not queue some shards (sweep queue unavailable): their expired leases wait; see the sweeper log group.',
      'SweepShardsNotQueued',
    );
    alarm('SweepUsersFailed', {
      alarmDescription:
        'Shard workers keep failing to settle some users (DynamoDB errors or throttling): they stay online past their lease; see the sweepShard log group.',
      metric: this.metric('SweepUsersFailed', { period: ONE_MINUTE, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm('DeliveryLagP99', {
      alarmDescription: 'Subscribers learn of presence changes late: p99 of post time minus changedAt.',
      metric: this.metric('DeliveryLag', { period: ONE_MINUTE, statistic: 'p99' }),
      threshold: (props.deliveryLagThreshold ?? Duration.seconds(1)).toMilliseconds(),
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    for (const queue of props.deadLetterQueues) {
      atLeastOnce(
        queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        `Messages wait in a dead-letter queue (${queue.node.path}): work that failed all its retries.`,
        `${queue.node.id}${queue.node.scope?.node.id ?? ''}Depth`,
      );
    }

    atLeastOnce(
      this.httpApiMetric('5xx', 'Sum'),
      "The HTTP API answered 5xx (handler crashes, timeouts, integration failures, or the contract's 500 internal).",
      'HttpApi5xx',
    );
    atLeastOnce(
      this.webSocketMetric('IntegrationError', 'Sum'),
      'WebSocket routes failed in their integration (the handler crashed or timed out).',
      'WebSocketIntegrationErrors',
    );
    atLeastOnce(
      this.webSocketMetric('ExecutionError', 'Sum'),
      "API Gateway could not call a WebSocket route's integration.",
      'WebSocketExecutionErrors',
    );

    atLeastOnce(this.throttleEvents(), 'The presence table throttled requests (reads or writes).', 'TableThrottles');
    for (const indexName of props.indexNames) {
      atLeastOnce(
        this.throttleEvents(indexName),
        `The ${indexName} index throttled writes: it back-pressures table writes.`,
        `${indexName}IndexThrottles`,
      );
    }

    alarm('DatabaseAtMaxCapacity', {
      alarmDescription: 'The users database has run at its maximum capacity for 15 minutes: queries slow down, then time out.',
      metric: this.databaseCapacity(),
      threshold: props.databaseMaxCapacity,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    this.alarms = alarms;
    this.dashboard = this.buildDashboard([...alarms.values()]);
  }

  /** Adds the topic as the alarm action of every alarm under `root` (the whole stack): none is left silent. */
  public notifyOnEveryAlarm(root: IConstruct): void {
    const action = new actions.SnsAction(this.topic);
    for (const construct of root.node.findAll()) {
      if (construct instanceof cloudwatch.Alarm) {
        construct.addAlarmAction(action);
        construct.addOkAction(action);
      }
    }
  }

  /** One of the handlers' EMF metrics. */
  public metric(name: MetricName, options: cloudwatch.MetricOptions = {}, dimensions: Record<string, string> = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.metricsNamespace,
      metricName: name,
      dimensionsMap: { service: this.props.serviceName, ...dimensions },
      period: ONE_MINUTE,
      ...options,
    });
  }

  private httpApiMetric(metricName: string, statistic: string, period = FIVE_MINUTES): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: this.props.httpApi.apiId },
      statistic,
      period,
    });
  }

  private webSocketMetric(metricName: string, statistic: string, period = FIVE_MINUTES): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: this.props.webSocketApi.apiId, Stage: this.props.webSocketStageName },
      statistic,
      period,
    });
  }

  /** Read plus write throttle events of the table, or of one of its indexes. */
  private throttleEvents(indexName?: string, period = FIVE_MINUTES): cloudwatch.MathExpression {
    const dimensionsMap = {
      TableName: this.props.table.tableName,
      ...(indexName === undefined ? {} : { GlobalSecondaryIndexName: indexName }),
    };
    const events = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap, statistic: 'Sum', period });
    // Metric ids are unique per graph: the table's and each index's pair get their own.
    const id = (indexName ?? 'table').replace(/[^A-Za-z0-9_]/g, '_');
    return new cloudwatch.MathExpression({
      expression: `FILL(r_${id}, 0) + FILL(w_${id}, 0)`,
      usingMetrics: { [`r_${id}`]: events('ReadThrottleEvents'), [`w_${id}`]: events('WriteThrottleEvents') },
      label: `${indexName ?? 'table'} throttle events`,
      period,
    });
  }

  private databaseCapacity(period = FIVE_MINUTES): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ServerlessDatabaseCapacity',
      dimensionsMap: { DBClusterIdentifier: this.props.cluster.clusterIdentifier },
      statistic: 'Maximum',
      period,
    });
  }

  private buildDashboard(alarms: readonly cloudwatch.IAlarm[]): cloudwatch.Dashboard {
    const { props } = this;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
    const sum = (name: MetricName, label: string) => this.metric(name, { statistic: 'Sum', label });
    const perSecond = (name: MetricName, label: string) =>
      new cloudwatch.MathExpression({
        expression: `s${name} / PERIOD(s${name})`,
        usingMetrics: { [`s${name}`]: this.metric(name, { statistic: 'Sum' }) },
        label,
        period: ONE_MINUTE,
      });
    const functionGraph = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.Metric) =>
      graph(
        title,
        [...props.functions].map(([name, fn]) => metric(fn).with({ label: name, period: ONE_MINUTE })),
        [],
        12,
      );

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-presence`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# Presence service\nGolden signals of both APIs and the delivery pipeline. What each alarm means and what to do: docs/operations.md.',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24, height: 4 }));
    dashboard.addWidgets(
      graph(
        'HTTP API: requests and errors',
        [this.httpApiMetric('Count', 'Sum', ONE_MINUTE).with({ label: 'requests' })],
        [
          this.httpApiMetric('4xx', 'Sum', ONE_MINUTE).with({ label: '4xx' }),
          this.httpApiMetric('5xx', 'Sum', ONE_MINUTE).with({ label: '5xx' }),
        ],
      ),
      graph('HTTP API: latency', [
        this.httpApiMetric('Latency', 'p50', ONE_MINUTE).with({ label: 'p50' }),
        this.httpApiMetric('Latency', 'p99', ONE_MINUTE).with({ label: 'p99' }),
      ]),
      graph('Log-ins refused', [
        sum('LoginFailures', 'wrong name or password'),
        sum('RateLimited', 'rate limited'),
        sum('InternalErrors', 'internal errors (both APIs)'),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'WebSocket: connections',
        [sum('ConnectionsOpened', 'opened'), sum('ConnectionsClosed', 'closed')],
        [this.webSocketMetric('MessageCount', 'Sum', ONE_MINUTE).with({ label: 'messages' })],
      ),
      graph('WebSocket: errors', [
        this.webSocketMetric('IntegrationError', 'Sum', ONE_MINUTE).with({ label: 'integration errors' }),
        this.webSocketMetric('ExecutionError', 'Sum', ONE_MINUTE).with({ label: 'execution errors' }),
        this.webSocketMetric('ClientError', 'Sum', ONE_MINUTE).with({ label: 'client errors' }),
      ]),
      graph('WebSocket: integration latency', [
        this.webSocketMetric('IntegrationLatency', 'p50', ONE_MINUTE).with({ label: 'p50' }),
        this.webSocketMetric('IntegrationLatency', 'p99', ONE_MINUTE).with({ label: 'p99' }),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'Changes per second',
        [perSecond('ChangesDecided', 'decided'), perSecond('ChangesNotified', 'reached the notifier')],
        [sum('VersionRaceRetries', 'version-race retries')],
      ),
      graph('Delivery lag (post time − changedAt)', [
        this.metric('DeliveryLag', { statistic: 'p50', label: 'p50' }),
        this.metric('DeliveryLag', { statistic: 'p99', label: 'p99' }),
      ]),
      graph(
        'Fan-out and posts',
        [
          this.metric('FanOut', { statistic: 'Average', label: 'fan-out (avg)' }),
          this.metric('FanOut', { statistic: 'Maximum', label: 'fan-out (max)' }),
        ],
        [
          sum('FramesPosted', 'frames posted'),
          sum('FanOutPagesQueued', 'fan-out pages queued'),
          this.metric('PostsFailed', { statistic: 'Sum', label: 'failed: gone (410)' }, { kind: 'gone' }),
          this.metric('PostsFailed', { statistic: 'Sum', label: 'failed: throttled' }, { kind: 'throttled' }),
          this.metric('PostsFailed', { statistic: 'Sum', label: 'failed: other' }, { kind: 'other' }),
          sum('PostsRetried', 'retried'),
          sum('SlowConnectionsClosed', 'slow connections closed'),
        ],
      ),
    );
    dashboard.addWidgets(
      graph(
        'Notifier: iterator age and duration',
        [props.notifier.fn.metric('IteratorAge', { statistic: 'Maximum', period: ONE_MINUTE, label: 'iterator age (max)' })],
        [props.notifier.fn.metricDuration({ statistic: 'Maximum', period: ONE_MINUTE, label: 'duration (max)' })],
      ),
      graph(
        'Sweeper',
        [this.metric('SweepBacklogAge', { statistic: 'Maximum', label: 'backlog age (max)' })],
        [
          sum('SweepUsersSettled', 'users settled'),
          sum('SweepUsersFailed', 'users failed'),
          sum('SweepConnectionsClosed', 'connections closed'),
          sum('SweepShardsFailed', 'shards failed'),
          sum('SweepShardsNotQueued', 'shards not queued'),
        ],
      ),
      graph(
        'Users database',
        [this.databaseCapacity(ONE_MINUTE).with({ label: 'capacity (ACU)' })],
        [sum('DataApiResumeWaits', 'resume waits')],
      ),
    );
    dashboard.addWidgets(
      graph(
        'DynamoDB throttle events',
        [this.throttleEvents(undefined, ONE_MINUTE), ...props.indexNames.map((name) => this.throttleEvents(name, ONE_MINUTE))],
        [],
        12,
      ),
      graph(
        'DynamoDB consumed capacity',
        [
          props.table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period: ONE_MINUTE, label: 'read units' }),
          props.table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period: ONE_MINUTE, label: 'write units' }),
        ],
        [],
        12,
      ),
    );
    dashboard.addWidgets(
      functionGraph('Lambda errors by function', (fn) => fn.metricErrors({ statistic: 'Sum' })),
      functionGraph('Lambda throttles by function', (fn) => fn.metricThrottles({ statistic: 'Sum' })),
    );
    return dashboard;
  }
}
