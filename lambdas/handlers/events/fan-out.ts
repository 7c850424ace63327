/**
 * The fan-out consumer (SQS): each message is one page of a change's watchers. It queues the page
 * after it first (so a popular user's pages run in parallel), then posts its own. A message whose
 * watchers cannot be read, or whose next page cannot be queued, is redelivered.
 */
import { parseFanOutTask } from '../../adapters/sqs-delivery-queues';
import { deliveryQueueHandler } from '../../shared/delivery-report';
import { notifier } from '../../shared/dependencies/delivery';

export const handler = deliveryQueueHandler(parseFanOutTask, (tasks) => notifier('fanOut').fanOut(tasks));
