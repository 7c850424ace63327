/**
 * A local SQS endpoint plus Lambda event source mappings. It speaks the AWS JSON 1.0 protocol of
 * `@aws-sdk/client-sqs` v3 (POST `/`, `X-Amz-Target: AmazonSQS.<Operation>`, query-compatible
 * errors), so handlers use an unchanged `SQSClient` with only an endpoint override, and consumers
 * receive Lambda's SQS event through `addEventSource`. Standard queues only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isError } from '../../lambdas/domain/errors';
import type { FunctionConfig } from '../lambda/invoke';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../shared/aws';
import { listen, parseJsonObject, readText, sendJson } from '../shared/http-server';
import { internalError, SqsError, serializationException, unknownOperation, unsupportedOperation } from './errors';
import { type EventSourceOptions, SqsEventSourceMapping, validateEventSource } from './event-source-mapping';
import { MessageQueue } from './message-queue';
import { sqsOperations } from './operations';
import { QueueRuntime } from './queue-runtime';
import { isValidQueueName, MAX_VISIBILITY_TIMEOUT_SECONDS } from './validation';

export interface LocalQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

export interface CreateQueueOptions {
  /** AWS default 30 s; 0 to 43,200. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to `deadLetterQueue` (a RedrivePolicy); 1 to 1000, needs `deadLetterQueue`. */
  readonly maxReceiveCount?: number;
  /** Name of an existing queue on this server that receives the messages after `maxReceiveCount` receives. */
  readonly deadLetterQueue?: string;
}

export interface SqsServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** Creates a standard queue. */
  createQueue(name: string, options?: CreateQueueOptions): LocalQueue;
  /** Attach a consumer like a Lambda event source mapping. */
  addEventSource(queueName: string, fn: FunctionConfig, options?: EventSourceOptions): void;
  /** Messages currently in a queue (visible + delayed + in flight), for tests. */
  depth(queueName: string): number;
  /** Stops consumers (waits for in-flight invocations) and the HTTP server. */
  stop(): Promise<void>;
}

export interface SqsServerOptions {
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default us-east-1. */
  readonly region?: string;
  readonly log?: (line: string) => void;
}

// AWS: 4 days is the default MessageRetentionPeriod.
const DEFAULT_RETENTION_SECONDS = 345_600;
// AWS: SenderId is the caller's IAM user or role id; requests are not authenticated locally, so every sender gets this one.
const LOCAL_SENDER_ID = 'AIDALOCALSQSEMULATOR0';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const send = (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void =>
  sendJson(response, status, body, headers, 'application/x-amz-json-1.0');

// AWS: query-compatible JSON errors carry the legacy code in x-amzn-query-error ("Code;Sender"), which the SDK reads first.
const sendError = (response: ServerResponse, error: SqsError): void =>
  send(
    response,
    error.status,
    { __type: error.type, message: error.message },
    { 'x-amzn-query-error': `${error.queryCode};${error.fault}`, 'x-amzn-ErrorType': error.type },
  );

/** Starts the endpoint; resolves once the port is bound. Queues are created through the returned object. */
export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? LOCAL_REGION;
  const log = options.log ?? (() => undefined);
  const queues = new Map<string, QueueRuntime>();
  const mappings: SqsEventSourceMapping[] = [];
  const directory = { accountId: LOCAL_ACCOUNT_ID, find: (name: string) => queues.get(name) };
  const operations = sqsOperations(directory, { senderId: LOCAL_SENDER_ID });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const closed = new AbortController();
    response.on('close', () => closed.abort());
    try {
      const target = request.headers['x-amz-target'];
      const body = await readText(request, MAX_BODY_BYTES, () => serializationException('The request body is too large.'));
      if (request.method !== 'POST' || typeof target !== 'string') {
        // Skipped AWS behaviour: the legacy query protocol (form-encoded Action=...) that older SDKs speak is not emulated.
        throw unknownOperation(typeof target === 'string' ? target : `${request.method} ${request.url}`);
      }
      if (!target.startsWith('AmazonSQS.')) throw unknownOperation(target);
      const name = target.slice('AmazonSQS.'.length);
      const operation = operations[name];
      // Skipped AWS behaviour: every operation but SendMessage, SendMessageBatch and ReceiveMessage (queues come from createQueue).
      if (operation === undefined) throw unsupportedOperation(name);
      // Skipped AWS behaviour: SigV4 signatures and IAM permissions are not checked; any credentials work.
      send(
        response,
        200,
        await operation(
          parseJsonObject(body, (reason) => serializationException(`${reason}.`)),
          closed.signal,
        ),
      );
    } catch (error) {
      if (!(error instanceof SqsError)) log(`[sqs] unexpected error: ${(isError(error) ? error.stack : undefined) ?? String(error)}`);
      sendError(response, error instanceof SqsError ? error : internalError());
    }
  };

  const inFlight = new Set<Promise<void>>();
  const server = createServer((request, response) => {
    const handling = handle(request, response);
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  const port = await listen(server, options.port ?? 0, host);
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`Local SQS on ${endpoint} (region ${region}, account ${LOCAL_ACCOUNT_ID})`);

  const createQueue = (name: string, queueOptions: CreateQueueOptions = {}): LocalQueue => {
    // Skipped AWS behaviour: FIFO queues (.fifo names, groups, deduplication) are not emulated.
    if (!isValidQueueName(name))
      throw new Error(`Invalid queue name "${name}": 1-80 alphanumerics, hyphens and underscores (no FIFO queues)`);
    if (queues.has(name)) throw new Error(`A local queue named ${name} already exists`);
    // AWS: VisibilityTimeout defaults to 30 s and may be 0 to 12 hours.
    const visibilityTimeoutSeconds = queueOptions.visibilityTimeoutSeconds ?? 30;
    if (
      !Number.isInteger(visibilityTimeoutSeconds) ||
      visibilityTimeoutSeconds < 0 ||
      visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT_SECONDS
    ) {
      throw new Error(`VisibilityTimeout ${visibilityTimeoutSeconds} for ${name} must be between 0 and ${MAX_VISIBILITY_TIMEOUT_SECONDS}`);
    }
    const { maxReceiveCount, deadLetterQueue } = queueOptions;
    // AWS: a RedrivePolicy needs both deadLetterTargetArn and maxReceiveCount (1-1000), and the target queue must exist.
    if ((maxReceiveCount === undefined) !== (deadLetterQueue === undefined)) {
      throw new Error(`Queue ${name}: maxReceiveCount and deadLetterQueue go together (a RedrivePolicy needs both)`);
    }
    if (maxReceiveCount !== undefined && (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000)) {
      throw new Error(`Queue ${name}: maxReceiveCount ${maxReceiveCount} must be between 1 and 1000`);
    }
    const target = deadLetterQueue === undefined ? undefined : queues.get(deadLetterQueue);
    if (deadLetterQueue !== undefined && target === undefined) {
      throw new Error(`Queue ${name}: dead-letter queue ${deadLetterQueue} does not exist; create it first`);
    }
    const local: LocalQueue = {
      name,
      url: `${endpoint}/${LOCAL_ACCOUNT_ID}/${name}`,
      arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
    };
    let runtime: QueueRuntime | undefined;
    const queue = new MessageQueue({
      name,
      arn: local.arn,
      visibilityTimeoutSeconds,
      messageRetentionSeconds: DEFAULT_RETENTION_SECONDS,
      ...(target === undefined || maxReceiveCount === undefined ? {} : { redrive: { deadLetterQueue: target.queue, maxReceiveCount } }),
      onMessagesAdded: () => runtime?.changed(),
    });
    runtime = new QueueRuntime(queue);
    queues.set(name, runtime);
    log(`[sqs] queue ${name}: ${local.url}`);
    return local;
  };

  const queueNamed = (name: string): QueueRuntime => {
    const runtime = queues.get(name);
    if (runtime === undefined) throw new Error(`No local queue named ${name}`);
    return runtime;
  };

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // Consumers first, while the endpoint still answers: in-flight invocations may send messages.
    await Promise.all(mappings.map((mapping) => mapping.stop()));
    // Releases long polls; they answer with no messages.
    for (const runtime of queues.values()) runtime.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.allSettled([...inFlight]);
    server.closeAllConnections();
    await closed;
  };

  return {
    endpoint,
    createQueue,
    addEventSource: (queueName, fn, eventSourceOptions = {}) => {
      if (stopping !== undefined) throw new Error('The local SQS server is stopped');
      const runtime = queueNamed(queueName);
      const validated = validateEventSource(queueName, runtime.queue.config.visibilityTimeoutSeconds, fn, eventSourceOptions);
      mappings.push(
        new SqsEventSourceMapping(runtime, fn, validated, { eventSourceARN: runtime.queue.config.arn, awsRegion: region }, log),
      );
      log(`[sqs] ${queueName} -> ${fn.name} (batch ${validated.batchSize}, window ${validated.maximumBatchingWindowMs} ms)`);
    },
    depth: (queueName) => queueNamed(queueName).depth(),
    stop: () => (stopping ??= stop()),
  };
}
