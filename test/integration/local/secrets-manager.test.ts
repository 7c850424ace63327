/**
 * The local Secrets Manager through the real `SecretsManagerClient`, and the local signing key
 * that it serves to the handlers.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadOrCreateSigningKey, type SecretsManagerServer, startSecretsManager } from '../../../local/secrets-manager/server';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:presence/token-key-AbC123';

describe('local Secrets Manager', () => {
  let server: SecretsManagerServer;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    server = await startSecretsManager({ secrets: { [ARN]: 'the-key' } });
    client = new SecretsManagerClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await server.stop();
  });

  it('returns the secret string and its metadata for the secret ARN', async () => {
    const output = await client.send(new GetSecretValueCommand({ SecretId: ARN }));

    expect(output).toEqual(
      expect.objectContaining({
        ARN,
        Name: 'presence/token-key',
        SecretString: 'the-key',
        VersionStages: ['AWSCURRENT'],
        VersionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        CreatedDate: expect.any(Date),
      }),
    );
  });

  it('finds the secret by its name too', async () => {
    const output = await client.send(new GetSecretValueCommand({ SecretId: 'presence/token-key' }));

    expect(output.SecretString).toBe('the-key');
  });

  it('rejects an unknown secret with ResourceNotFoundException', async () => {
    const read = client.send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:other-XyZ789' }));

    await expect(read).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(read).rejects.toThrow(
      expect.objectContaining({
        name: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
        $metadata: expect.objectContaining({ httpStatusCode: 400 }),
      }),
    );
  });

  it('answers other operations with UnknownOperationException', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.ListSecrets' },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});

describe('loadOrCreateSigningKey', () => {
  const dirs: string[] = [];
  const freshDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'presence-signing-key-test-'));
    dirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('makes a 64-character key on first use, readable by its owner only', async () => {
    const dir = await freshDir();

    const key = await loadOrCreateSigningKey(dir);

    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(path.join(dir, 'signing-key'))).mode & 0o777).toBe(0o600);
  });

  it('returns the same key on later calls with the same data dir', async () => {
    const dir = await freshDir();

    const first = await loadOrCreateSigningKey(dir);
    const second = await loadOrCreateSigningKey(dir);

    expect(second).toBe(first);
  });

  it('makes a different key for another data dir', async () => {
    const [one, other] = await Promise.all([freshDir(), freshDir()]);

    expect(await loadOrCreateSigningKey(one)).not.toBe(await loadOrCreateSigningKey(other));
  });

  it('creates the data dir when it does not exist yet', async () => {
    const dir = path.join(await freshDir(), 'nested', 'data');

    await expect(loadOrCreateSigningKey(dir)).resolves.toMatch(/^[0-9a-f]{64}$/);
  });
});
