import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Props of {@link WorkQueue}. */
export interface WorkQueueProps {
  /**
   * How long a received message stays invisible before it is delivered again; at least the
   * consumer's timeout, or Lambda refuses the event source mapping (AWS advises 6x it).
   */
  readonly visibilityTimeout: Duration;
  /** Receives after which a message that keeps failing moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * How long an unconsumed message is kept.
   * @default Duration.days(1)
   */
  readonly retentionPeriod?: Duration;
  /** What it means when a message reaches the dead-letter queue (the alarm's description). */
  readonly deadLetterMeaning: string;
}

/**
 * A standard SQS queue feeding a Lambda consumer: encrypted with SQS-managed keys, HTTPS only; a
 * message its consumer keeps failing moves to a dead-letter queue (kept 14 days), and an alarm goes
 * off as soon as one is there.
 */
export class WorkQueue extends Construct {
  /** The queue handlers send to. */
  public readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` failed deliveries. */
  public readonly deadLetterQueue: sqs.Queue;
  /** In alarm while the dead-letter queue holds a message. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);

    // The longest retention: a dead letter is evidence, and its enqueue time (kept from the source
    // queue on a standard queue) must not make it expire before anyone looks.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(1),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: props.deadLetterMeaning,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
