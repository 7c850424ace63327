import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HandlerName, HandlerSpec, TableName } from '../app-manifest';
import { PresenceFunction, type PresenceFunctionProps } from './presence-function';

/** A table stream consumer (`streamConsumers` in the app manifest): the event source mapping's settings. */
export interface StreamConsumerSpec {
  readonly table: TableName;
  readonly handler: HandlerName;
  /** What its records are, in alarm texts ("presence changes", "last-seen moments"). */
  readonly records: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Finite, so a poison record cannot block its shard until the record expires (24 h). */
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectBatchOnError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly parallelizationFactor: number;
  /** Lambda event filter patterns (plain objects); records matching none never invoke the handler. */
  readonly filters: readonly object[];
  /** Iterator age above which its alarm goes off, when not the construct's `iteratorAgeThreshold`. */
  readonly iteratorAgeAlarmSeconds?: number;
}

/** A queue consumer (`queues` in the app manifest): the handler and its event source mapping's settings. */
export interface QueueConsumerSpec {
  readonly handler: HandlerName;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  /** The mapping's MaximumConcurrency (2-1000): caps the consumer's concurrent invocations without reserving any. */
  readonly maxConcurrency?: number;
}

/** A scheduled handler (`schedules` in the app manifest). */
export interface ScheduleSpec {
  readonly handler: HandlerName;
  readonly everyMinutes: number;
}

/** Props of {@link PresenceEvents}. */
export interface PresenceEventsProps extends Omit<PresenceFunctionProps, 'spec' | 'description'> {
  /** The handlers the consumers name (`handlers` in the app manifest); one function per handler used. */
  readonly handlers: Readonly<Record<HandlerName, HandlerSpec>>;
  /** The stream consumers. */
  readonly streamConsumers: readonly StreamConsumerSpec[];
  /** The tables whose streams they read, by manifest name (streams enabled). */
  readonly tables: Readonly<Record<TableName, dynamodb.ITable>>;
  /** The queue consumers, each with the queue it reads. */
  readonly queueConsumers: readonly { readonly spec: QueueConsumerSpec; readonly queue: sqs.IQueue }[];
  /** The scheduled handlers. */
  readonly schedules: readonly ScheduleSpec[];
  /**
   * Stream consumer iterator age above which its alarm goes off: the contract allows 10 s from a
   * change to its delivery, and the iterator age is the part spent waiting to be read.
   * @default Duration.seconds(5)
   */
  readonly iteratorAgeThreshold?: Duration;
}

/**
 * The handlers that run on events rather than requests: stream consumers (the notifier, on the
 * presence table's stream, filtered before Lambda runs, with finite retries and failed batches
 * recorded in a dead-letter queue), queue consumers (the offline-grace timer) and scheduled
 * handlers (the sweeper, on an EventBridge rule). Alarms: stream consumers falling behind, and
 * failed batches waiting in a dead-letter queue; they have no actions, add them where they are wired.
 */
export class PresenceEvents extends Construct {
  /** The functions, by handler name. */
  public readonly functions: ReadonlyMap<HandlerName, PresenceFunction>;
  /** Where each stream consumer's failed batches are recorded (stream position and size, not the records), by handler. */
  public readonly streamFailures: ReadonlyMap<HandlerName, sqs.Queue>;
  /** The scheduling rules, by handler. */
  public readonly rules: ReadonlyMap<HandlerName, events.Rule>;
  /** Every alarm created here. */
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PresenceEventsProps) {
    super(scope, id);
    const { handlers, streamConsumers, tables, queueConsumers, schedules, iteratorAgeThreshold, ...functionProps } = props;

    const functions = new Map<HandlerName, PresenceFunction>();
    const functionFor = (name: HandlerName): lambda.Function => {
      const existing = functions.get(name);
      if (existing !== undefined) return existing.function;
      const created = new PresenceFunction(this, name, { ...functionProps, spec: handlers[name] });
      functions.set(name, created);
      return created.function;
    };
    const streamFailures = new Map<HandlerName, sqs.Queue>();
    const rules = new Map<HandlerName, events.Rule>();
    const alarms: cloudwatch.Alarm[] = [];

    for (const consumer of streamConsumers) {
      const fn = functionFor(consumer.handler);
      const failures = new sqs.Queue(this, `${consumer.handler}Failures`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(failures).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is a dead-letter queue: the on-failure destination of the stream event source mapping, which ' +
          'cdk-nag does not recognise (it only looks for queue redrive policies and function DeadLetterConfig).',
      });
      streamFailures.set(consumer.handler, failures);

      fn.addEventSource(
        new DynamoEventSource(tables[consumer.table], {
          startingPosition: lambda.StartingPosition.LATEST,
          batchSize: consumer.batchSize,
          maxBatchingWindow: Duration.seconds(consumer.maxBatchingWindowSeconds),
          retryAttempts: consumer.retryAttempts,
          maxRecordAge: Duration.seconds(consumer.maxRecordAgeSeconds),
          bisectBatchOnError: consumer.bisectBatchOnError,
          reportBatchItemFailures: consumer.reportBatchItemFailures,
          parallelizationFactor: consumer.parallelizationFactor,
          filters: consumer.filters.map((pattern) => lambda.FilterCriteria.filter({ ...pattern })),
          onFailure: new SqsDlq(failures),
        }),
      );

      alarms.push(
        new cloudwatch.Alarm(this, `${consumer.handler}FailuresAlarm`, {
          alarmDescription: `${consumer.handler} gave up on stream records: some ${consumer.records} were lost.`,
          metric: failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, `${consumer.handler}IteratorAgeAlarm`, {
          alarmDescription: `${consumer.handler} is falling behind its stream: ${consumer.records} are late.`,
          metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
          threshold:
            consumer.iteratorAgeAlarmSeconds === undefined
              ? (iteratorAgeThreshold ?? Duration.seconds(5)).toMilliseconds()
              : consumer.iteratorAgeAlarmSeconds * 1000,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const { spec, queue } of queueConsumers) {
      functionFor(spec.handler).addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.batchSize,
          reportBatchItemFailures: spec.reportBatchItemFailures,
          maxConcurrency: spec.maxConcurrency,
        }),
      );
    }

    for (const schedule of schedules) {
      const fn = functionFor(schedule.handler);
      // A failed run is not retried: the next one, minutes later, covers the same ground, and a
      // retry would only overlap with it.
      fn.configureAsyncInvoke({ retryAttempts: 0 });
      rules.set(
        schedule.handler,
        new events.Rule(this, `${schedule.handler}Schedule`, {
          description: `Runs ${handlers[schedule.handler].entry} every ${schedule.everyMinutes} minute(s)`,
          schedule: events.Schedule.rate(Duration.minutes(schedule.everyMinutes)),
          targets: [new targets.LambdaFunction(fn)],
        }),
      );
    }

    this.functions = functions;
    this.streamFailures = streamFailures;
    this.rules = rules;
    this.alarms = alarms;
  }
}
