/** The sweep queue capability (SQS): the sweep planner's one message per shard. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsSweepQueue } from '../../adapters/sqs-sweep-queue';
import type { SweepQueue } from '../../ports';
import { optionalEnv, requireEnv } from '../config';
import { ENV } from '../environment';
import { once, SDK_CLIENT_DEFAULTS } from './core';

export const sweepQueue = once(
  (): SweepQueue =>
    new SqsSweepQueue(new SQSClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.sqsEndpoint) }), requireEnv(ENV.sweepQueueUrl)),
);
