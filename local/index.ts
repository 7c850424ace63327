/**
 * `npm start`: the whole stack on this machine, no AWS account needed. Prints its endpoints and
 * stops cleanly on SIGINT/SIGTERM, whether sent to this process alone or to its whole group:
 * WebSockets first (their `$disconnect`s record the stop as `lastSeen`), then the consumers, then
 * the stores (DynamoDB Local and Postgres flushed and closed). It also stops when its parent goes
 * away (an `npm start` killed with SIGKILL), and exits 1 if a stand-in dies under it.
 */
import { type LocalStack, optionsFromEnv, startLocalStack } from './stack';

/** How often we look for a new parent: re-parented to init means whoever started us is gone. */
const PARENT_CHECK_MS = 1_000;

const main = async (): Promise<void> => {
  const started = Date.now();
  const options = optionsFromEnv();
  let stack: LocalStack | undefined;
  let stopping: { readonly reason: string; readonly code: number } | undefined;

  const shutDown = (running: LocalStack, code: number): void => {
    running.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${(error as Error).message}\n`);
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
  process.stdout.write(lines.join('\n') + '\n');
};

main().catch((error: unknown) => {
  process.stderr.write(`Could not start the local stack: ${(error as Error).message}\n`);
  process.exit(1);
});
