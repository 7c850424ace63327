/**
 * The delivery capabilities (the fan-out and delivery-retry queues, SQS) and the notifier that
 * the stream notifier, the fan-out consumer and the retry consumer share: each invocation paces its
 * posts with its own token bucket.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeliveryRetryQueue, SqsFanOutQueue } from '../../adapters/sqs-delivery-queues';
import { Notifier } from '../../domain/notifier';
import { sleep } from '../../domain/retry';
import { pageSizeForPace, TokenBucket } from '../../domain/token-bucket';
import { ConfigurationError, numberEnv, optionalEnv, requireEnv } from '../config';
import { DEFAULTS, ENV, type PostingLane } from '../environment';
import { logger } from '../logger';
import { connectionServiceWith } from './connection-service';
import { deliveryGateway } from './connections';
import { clock, once, SDK_CLIENT_DEFAULTS } from './core';
import { graceTimer } from './grace-queue';
import { connectionRegistry } from './presence-table';

const sqs = once(() => new SQSClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.sqsEndpoint) }));

export const fanOutQueue = once(() => new SqsFanOutQueue(sqs(), requireEnv(ENV.fanOutQueueUrl)));

export const deliveryRetryQueue = once(() => new SqsDeliveryRetryQueue(sqs(), requireEnv(ENV.deliveryRetryQueueUrl)));

const connectionService = connectionServiceWith({ graceTimer }, 'delivery');

/** This lane's pace from `PRESENCE_POSTING_PACES` (set by the stack: lib/app-manifest.ts `lanePaces`). */
export const postingPace = (lane: PostingLane, env: NodeJS.ProcessEnv = process.env): { ratePerSecond: number; burst: number } => {
  const raw = requireEnv(ENV.postingPaces, env);
  let pace: { postsPerSecond?: unknown; burst?: unknown } | undefined;
  try {
    pace = (JSON.parse(raw) as Record<string, typeof pace>)[lane];
  } catch {
    pace = undefined;
  }
  const ratePerSecond = Number(pace?.postsPerSecond);
  const burst = Number(pace?.burst);
  if (!(ratePerSecond > 0) || !(burst >= 1)) {
    throw new ConfigurationError(`Environment variable ${ENV.postingPaces} has no pace for "${lane}" (postsPerSecond > 0, burst >= 1)`);
  }
  return { ratePerSecond, burst };
};

/** Builds the notifier of one posting lane, paced at that lane's share. */
const buildNotifier = (lane: PostingLane): Notifier => {
  const { ratePerSecond, burst } = postingPace(lane);
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
    // One bucket per invocation (an execution environment runs one at a time): its share of the
    // deployment's posting budget for this lane, set by the stack (lib/app-manifest.ts lanePaces).
    pace: () => new TokenBucket({ ratePerSecond, burst, clock, sleep }),
    // Sized from the pace (a page takes about a second); PRESENCE_FAN_OUT_PAGE_SIZE overrides it.
    pageSize: numberEnv(ENV.fanOutPageSize, pageSizeForPace({ ratePerSecond, burst }, DEFAULTS.fanOutPageSize)),
    clock,
    log: (message, fields) => logger.warn(message, fields),
  });
};

const notifiers: Record<PostingLane, () => Notifier> = {
  notify: once(() => buildNotifier('notify')),
  fanOut: once(() => buildNotifier('fanOut')),
  deliveryRetry: once(() => buildNotifier('deliveryRetry')),
};

/** The notifier of one posting lane (the stream notifier, the fan-out or the retry consumer), built once per execution environment. */
export const notifier = (lane: PostingLane): Notifier => notifiers[lane]();
