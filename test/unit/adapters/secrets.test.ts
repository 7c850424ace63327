/**
 * The cached secret (lambdas/adapters/secrets.ts) that signs and verifies tokens: read once per
 * execution environment, shared by concurrent first calls, and never cached when the read failed,
 * so one Secrets Manager hiccup does not break every later invocation of a warm Lambda.
 * Against the local Secrets Manager stand-in (no mocks): requests are counted with an SDK middleware,
 * and the failure is the stand-in being down, then up again on the same port.
 */
import { ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedSecret } from '../../../lambdas/adapters/secrets';
import { type SecretsManagerServer, startSecretsManager } from '../../../local/secrets-manager/server';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:token-signing-key-AbCdEf';
const EMPTY = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:empty-AbCdEf';
const SECRETS = { [ARN]: 'k'.repeat(64), [EMPTY]: '' };

let server: SecretsManagerServer;
const clients: SecretsManagerClient[] = [];

/** A client for the stand-in, and how many requests it has sent. */
const counted = (port = server.port) => {
  const client = new SecretsManagerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
  clients.push(client);
  const sent = { requests: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.requests += 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  return { client, sent };
};

beforeEach(async () => {
  server = await startSecretsManager({ port: 0, secrets: SECRETS });
});

afterEach(async () => {
  await server.stop();
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

it('reads the secret once: concurrent first calls share the request, later calls use the kept value', async () => {
  const { client, sent } = counted();
  const secret = cachedSecret(client, ARN);

  const first = await Promise.all([secret(), secret(), secret()]);
  const later = await secret();

  expect([...first, later]).toEqual(Array(4).fill('k'.repeat(64)));
  expect(sent.requests).toBe(1);
});

it('does not keep a failed read: once Secrets Manager answers again, the next call succeeds', async () => {
  const { port } = server;
  const { client, sent } = counted(port);
  const secret = cachedSecret(client, ARN);
  await server.stop();

  await expect(secret()).rejects.toThrow();
  server = await startSecretsManager({ port, secrets: SECRETS });

  await expect(secret()).resolves.toBe('k'.repeat(64));
  expect(sent.requests).toBe(2);
});

it('fails with the service error for a secret that does not exist', async () => {
  const { client } = counted();

  await expect(cachedSecret(client, 'arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf')()).rejects.toThrow(
    ResourceNotFoundException,
  );
});

it('refuses a secret without a string value rather than sign with an empty key', async () => {
  const { client } = counted();

  await expect(cachedSecret(client, EMPTY)()).rejects.toThrow('The secret has no string value');
});
