import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock, GraceTimer } from '../ports';

/** SQS allows a per-message delay of 0-900 s. */
const MAX_DELAY_SECONDS = 900;

export interface GraceMessage {
  readonly userId: string;
  /** When the grace ends (ms). */
  readonly at: number;
}

/** The grace timer as an SQS message with a per-message delay; its consumer re-checks the user. */
export class SqsGraceTimer implements GraceTimer {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly clock: Clock,
  ) {}

  async schedule(userId: string, at: number): Promise<void> {
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((at - this.clock()) / 1000)));
    const body: GraceMessage = { userId, at };
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(body), DelaySeconds: delaySeconds }),
    );
  }
}
