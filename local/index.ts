/**
 * `npm start`: the whole stack on this machine, no AWS account needed. Prints its endpoints and
 * stops cleanly on SIGINT/SIGTERM (DynamoDB Local and Postgres flushed and closed).
 */
import { optionsFromEnv, startLocalStack } from './stack';

const main = async (): Promise<void> => {
  const started = Date.now();
  const options = optionsFromEnv();
  const stack = await startLocalStack(options);
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

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping...\n`);
    // A stuck stop must not keep the process alive forever: the contract allows 10 s.
    setTimeout(() => process.exit(1), 9_000).unref();
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
};

main().catch((error: unknown) => {
  process.stderr.write(`Could not start the local stack: ${(error as Error).message}\n`);
  process.exit(1);
});
