import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WorkQueue } from './work-queue';

/** Props of {@link GraceQueue}. */
export interface GraceQueueProps {
  /**
   * How long a received message stays invisible before it is delivered again; at least the
   * consumer's timeout, or Lambda refuses the event source mapping.
   */
  readonly visibilityTimeout: Duration;
  /** Receives after which a message that keeps failing moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * How long an unconsumed timer is kept. A timer fires at most 15 minutes (SQS's longest delay)
   * after it is set, so a day is ample.
   * @default Duration.days(1)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * The offline-grace timer: a {@link WorkQueue} whose messages carry a per-message delay (the
 * grace) and wake the `graceExpired` consumer.
 */
export class GraceQueue extends WorkQueue {
  constructor(scope: Construct, id: string, props: GraceQueueProps) {
    super(scope, id, {
      ...props,
      deadLetterMeaning: 'Offline-grace timers failed repeatedly: the users they were for may not have been reported offline.',
    });
  }
}
