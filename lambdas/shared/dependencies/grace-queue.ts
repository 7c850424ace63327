/** The grace queue capability (SQS delayed messages): re-check a user when their offline grace ends. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsGraceTimer } from '../../adapters/sqs-grace-timer';
import type { GraceTimer } from '../../ports';
import { optionalEnv, requireEnv } from '../config';
import { ENV } from '../environment';
import { clock, once, SDK_CLIENT_DEFAULTS } from './core';

export const graceTimer = once(
  (): GraceTimer =>
    new SqsGraceTimer(
      new SQSClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.sqsEndpoint) }),
      requireEnv(ENV.graceQueueUrl),
      clock,
    ),
);
