/**
 * A local Secrets Manager endpoint with the one operation the handlers use, GetSecretValue, over
 * the awsJson1_1 protocol that `@aws-sdk/client-secrets-manager` speaks, and the local token
 * signing key that it serves, kept in the data dir so issued tokens survive restarts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { listen, parseJsonObject, readText, sendJson } from '../shared/http-server';

export interface SecretsManagerServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface SecretsManagerOptions {
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** SecretString by secret ARN. */
  readonly secrets: Readonly<Record<string, string>>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly value: string;
  readonly versionId: string;
}

class SecretsManagerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

// AWS: awsJson1_1 errors are 400s named by x-amzn-ErrorType and the body's __type.
const notFound = () => new SecretsManagerError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

const JSON_1_1 = 'application/x-amz-json-1.1';
// AWS: secret ARNs end in "-" plus six random characters that are not part of the secret's name.
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const MAX_BODY_BYTES = 64 * 1024;

/** The name is what follows `:secret:` in the ARN, without AWS's random suffix. */
const nameOf = (arn: string): string => {
  const afterSecret = arn.split(':secret:')[1] ?? arn;
  return afterSecret.replace(ARN_SUFFIX, '');
};

/** A stable version id per value, shaped like the UUIDs AWS uses. */
const versionIdOf = (arn: string, value: string): string => {
  const hex = createHash('sha256').update(arn).update('\0').update(value).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

// AWS: SecretId is the ARN, the ARN without its suffix (partial ARN) or the name.
const findSecret = (secrets: readonly StoredSecret[], id: string): StoredSecret | undefined =>
  secrets.find((secret) => id === secret.arn || id === secret.name || id === secret.arn.replace(ARN_SUFFIX, ''));

const getSecretValue = (secrets: readonly StoredSecret[], createdDate: number, request: Record<string, unknown>): object => {
  if (typeof request.SecretId !== 'string' || request.SecretId === '') {
    throw new SecretsManagerError(
      'ValidationException',
      "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
    );
  }
  const secret = findSecret(secrets, request.SecretId);
  if (secret === undefined) throw notFound();
  // AWS: only the current version exists here; asking for another stage or version finds nothing.
  const stage = request.VersionStage;
  if ((stage !== undefined && stage !== 'AWSCURRENT') || (request.VersionId !== undefined && request.VersionId !== secret.versionId))
    throw notFound();
  return {
    ARN: secret.arn,
    Name: secret.name,
    SecretString: secret.value,
    VersionId: secret.versionId,
    VersionStages: ['AWSCURRENT'],
    // AWS: awsJson timestamps are epoch seconds (a JSON number).
    CreatedDate: createdDate,
  };
};

const send = (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void =>
  sendJson(response, status, body, headers, JSON_1_1);

const handler =
  (secrets: readonly StoredSecret[], createdDate: number) =>
  async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const body = await readText(
        request,
        MAX_BODY_BYTES,
        () => new SecretsManagerError('SerializationException', 'The request body is too large.'),
      );
      // AWS: awsJson1_1 routes on the X-Amz-Target header of a POST to `/`.
      const target = request.method === 'POST' ? request.headers['x-amz-target'] : undefined;
      if (target !== 'secretsmanager.GetSecretValue') {
        throw new SecretsManagerError(
          'UnknownOperationException',
          `Operation ${String(target)} is not supported by the local Secrets Manager.`,
        );
      }
      send(
        response,
        200,
        getSecretValue(
          secrets,
          createdDate,
          parseJsonObject(body, () => new SecretsManagerError('SerializationException', 'The request body is not a JSON object.')),
        ),
      );
    } catch (error) {
      const known =
        error instanceof SecretsManagerError ? error : new SecretsManagerError('InternalServiceError', 'An internal error occurred.');
      send(
        response,
        known.type === 'InternalServiceError' ? 500 : 400,
        { __type: known.type, message: known.message },
        { 'x-amzn-ErrorType': known.type },
      );
    }
  };

/** Starts the endpoint; resolves once the port is bound. */
export async function startSecretsManager(options: SecretsManagerOptions): Promise<SecretsManagerServer> {
  const host = options.host ?? '127.0.0.1';
  const secrets = Object.entries(options.secrets).map(([arn, value]) => ({
    arn,
    name: nameOf(arn),
    value,
    versionId: versionIdOf(arn, value),
  }));
  // The secrets "were created" when the endpoint started.
  const handle = handler(secrets, Math.floor(Date.now()) / 1000);
  const server = createServer((request, response) => void handle(request, response));
  const port = await listen(server, options.port ?? 0, host);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, stop: () => (stopping ??= stop()) };
}

const SIGNING_KEY_FILE = 'signing-key';
const SIGNING_KEY = /^[0-9a-f]{64}$/;

const readKey = async (file: string): Promise<string | null> => {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

const checkedKey = (key: string, file: string): string => {
  if (!SIGNING_KEY.test(key)) throw new Error(`${file} does not hold a 64-character hex signing key; remove it to have a new one made`);
  return key;
};

/**
 * The local token-signing key: 64 hex characters in `<dataDir>/signing-key` (mode 0600), made on
 * first use and reused after, so tokens issued before a restart stay valid after it.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  const existing = await readKey(file);
  if (existing !== null) return checkedKey(existing, file);
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    // 'wx' fails if another process created the key meanwhile; that key then wins.
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return checkedKey((await readKey(file)) ?? '', file);
  }
  await chmod(file, 0o600);
  return key;
}
