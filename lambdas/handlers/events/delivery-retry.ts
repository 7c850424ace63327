/**
 * The delivery-retry consumer (SQS, each message delayed by its backoff): posts one frame to one
 * connection again. Failing again, it queues the next retry, or closes the connection once the
 * retries are spent. A message neither delivered, re-queued nor closed is redelivered.
 */
import { parseDeliveryRetry } from '../../adapters/sqs-delivery-queues';
import { deliveryQueueHandler } from '../../shared/delivery-report';
import { notifier } from '../../shared/dependencies/delivery';

export const handler = deliveryQueueHandler(parseDeliveryRetry, (retries) => notifier('deliveryRetry').retry(retries));
