/**
 * `npm start`: the whole stack on this machine, no AWS account needed. Prints its endpoints and
 * stops cleanly on SIGINT/SIGTERM, whether sent to this process alone or to its whole group:
 * WebSockets first (their `$disconnect`s record the stop as `lastSeen`), then the consumers, then
 * the stores (DynamoDB Local and Postgres flushed and closed). It also stops when its parent goes
 * away (an `npm start` killed with SIGKILL), and exits 1 if a stand-in dies under it.
 */
import path from 'node:path';
import { isError } from '../lambdas/domain/errors';
import { DEFAULTS } from '../lib/app-manifest';
import { type LocalStack, type LocalStackOptions, parseFunctionIsolation, startLocalStack } from './stack';

/** How often we look for a new parent: re-parented to init means whoever started us is gone. */
const PARENT_CHECK_MS = 1_000;

const int = (name: string, fallback: number, env: NodeJS.ProcessEnv): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
};

/** The stack's options from the contract's environment variables, with its defaults: read once, here. */
const optionsFromEnv = (env: NodeJS.ProcessEnv): LocalStackOptions => ({
  httpPort: int('PRESENCE_HTTP_PORT', 4000, env),
  wsPort: int('PRESENCE_WS_PORT', 4001, env),
  dataApiPort: int('PRESENCE_DATA_API_PORT', 4002, env),
  dynamoDbPort: int('PRESENCE_DYNAMODB_PORT', 4003, env),
  dataDir: path.resolve(env.PRESENCE_DATA_DIR ?? './.presence-data'),
  leaseSeconds: int('PRESENCE_LEASE_SECONDS', DEFAULTS.leaseSeconds, env),
  sweepSeconds: int('PRESENCE_SWEEP_SECONDS', DEFAULTS.sweepSeconds, env),
  graceSeconds: int('PRESENCE_OFFLINE_GRACE_SECONDS', DEFAULTS.graceSeconds, env),
  heartbeatSeconds: int('PRESENCE_HEARTBEAT_SECONDS', DEFAULTS.heartbeatSeconds, env),
  // Each function in its own worker thread, as on AWS, unless `process` puts them all on the main thread.
  functionIsolation: parseFunctionIsolation(env.PRESENCE_FUNCTION_ISOLATION, 'PRESENCE_FUNCTION_ISOLATION', 'thread'),
  host: '127.0.0.1',
  log: (line) => process.stdout.write(`${line}\n`),
});

const main = async (): Promise<void> => {
  const started = Date.now();
  const options = optionsFromEnv(process.env);
  let stack: LocalStack | undefined;
  let stopping: { readonly reason: string; readonly code: number } | undefined;

  const shutDown = (running: LocalStack, code: number): void => {
    running.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${isError(error) ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  const stop = (reason: string, code: number): void => {
    if (stopping !== undefined) return;
    stopping = { reason, code };
    process.stdout.write(`\n${reason}: stopping...\n`);
    // A stuck stop must not keep the process alive forever: the contract allows 10 s.
    setTimeout(() => process.exit(1), 9_000).unref();
    // A signal during start-up is acted on once the stack is up.
    if (stack !== undefined) shutDown(stack, code);
  };
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop(`the parent process (pid ${parent}) is gone`, 0);
  }, PARENT_CHECK_MS).unref();

  stack = await startLocalStack({
    ...options,
    onStandInDeath: (description) => {
      process.stderr.write(`\nThe local stack cannot go on: ${description}. Stopping; run npm start again.\n`);
      stop('a stand-in died', 1);
    },
  });
  if (stopping !== undefined) return shutDown(stack, stopping.code);
  const lines = [
    '',
    `Presence service is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  Web client + HTTP API   ${stack.httpUrl}/`,
    `  Health                  ${stack.httpUrl}/health`,
    `  WebSocket API           ${stack.wsUrl}/?token=<token>`,
    `  @connections API        ${stack.connectionsEndpoint}/@connections/{connectionId}`,
    `  DynamoDB (+ Streams)    ${stack.dynamoDbEndpoint}`,
    `  RDS Data API            ${stack.dataApiEndpoint}`,
    `    resource ARN          ${stack.dbResourceArn}`,
    `    secret ARN            ${stack.dbSecretArn}`,
    `  SQS (grace timer)       ${stack.sqsEndpoint}`,
    `  Data dir                ${options.dataDir}`,
    '  Any AWS credentials, region us-east-1. Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`Could not start the local stack: ${isError(error) ? error.message : String(error)}\n`);
  process.exit(1);
});
