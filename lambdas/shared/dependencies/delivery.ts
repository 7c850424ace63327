/**
 * The delivery capabilities (the fan-out and delivery-retry queues, SQS) and the notifier that
 * the stream notifier, the fan-out consumer and the retry consumer share: one token bucket per
 * execution environment paces its posts (one invocation at a time runs in it).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULTS, ENV } from '../environment';
import { SqsDeliveryRetryQueue, SqsFanOutQueue } from '../../adapters/sqs-delivery-queues';
import { Notifier } from '../../domain/notifier';
import { TokenBucket } from '../../domain/token-bucket';
import { sleep } from '../../domain/retry';
import { logger } from '../logger';
import { numberEnv, optionalEnv, requireEnv } from '../config';
import { connectionServiceWith } from './connection-service';
import { deliveryGateway } from './connections';
import { clock, once } from './core';
import { graceTimer } from './grace-queue';
import { connectionRegistry } from './presence-table';

const sqs = once(() => new SQSClient({ endpoint: optionalEnv(ENV.sqsEndpoint) }));

export const fanOutQueue = once(() => new SqsFanOutQueue(sqs(), requireEnv(ENV.fanOutQueueUrl)));

export const deliveryRetryQueue = once(() => new SqsDeliveryRetryQueue(sqs(), requireEnv(ENV.deliveryRetryQueueUrl)));

const connectionService = connectionServiceWith({ graceTimer }, 'delivery');

export const notifier = once(() => {
  const postsPerSecond = numberEnv(ENV.postsPerSecond, DEFAULTS.postsPerSecond);
  // A tenth of a second's worth at once: N concurrent invocations burst N times that.
  const bucket = new TokenBucket({ ratePerSecond: postsPerSecond, burst: Math.max(1, postsPerSecond / 10), clock, sleep });
  return new Notifier({
    registry: connectionRegistry(),
    gateway: deliveryGateway(),
    fanOut: fanOutQueue(),
    retries: deliveryRetryQueue(),
    // A 410 means the client is gone. Usually it closed normally and only its watches remain (they
    // end at its 2-hour limit, unwritten). If it is still registered, its $disconnect never came
    // (best effort on AWS): clean up as that would have.
    onGone: async (connectionId, userId) => {
      if (await connectionRegistry().exists(connectionId)) await connectionService().disconnect(connectionId, userId);
    },
    pace: () => bucket,
    pageSize: numberEnv(ENV.fanOutPageSize, DEFAULTS.fanOutPageSize),
    clock,
    log: (message, fields) => logger.warn(message, fields),
  });
});
