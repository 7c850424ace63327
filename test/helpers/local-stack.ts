import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';

export interface TestStack {
  stack: LocalStack;
  dataDir: string;
  options: LocalStackOptions;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A whole local stack on free ports with a fresh data dir, as `npm start` runs it, except that
 * DynamoDB Local keeps its tables in memory: under half the CPU per request, with two test files
 * at once on 2 cores. A file that restarts the stack or reads the data dir passes
 * `dynamoDbStorage: 'disk'`. One per test file: handlers keep their SDK clients in module scope,
 * and jest gives each file its own modules.
 */
export const startTestStack = async (overrides: Partial<LocalStackOptions> = {}): Promise<TestStack> => {
  const dataDir = overrides.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'presence-test-')));
  const options: LocalStackOptions = {
    wsIdleTimeoutSeconds: 600,
    httpPort: 0,
    wsPort: 0,
    dataApiPort: 0,
    dynamoDbPort: 0,
    dataDir,
    leaseSeconds: 150,
    sweepSeconds: 60,
    graceSeconds: 3,
    host: '127.0.0.1',
    log: () => undefined,
    dynamoDbStorage: 'memory',
    ...overrides,
  };
  const handle: TestStack = {
    stack: await startLocalStack(options),
    dataDir,
    options,
    /** Stops and starts again on the same ports: handlers keep their SDK clients (module scope), as a warm Lambda would. */
    async restart() {
      if (options.dynamoDbStorage === 'memory')
        throw new Error("restart() keeps no presence with dynamoDbStorage 'memory': start the stack with 'disk'");
      const ports = handle.stack.ports;
      await handle.stack.stop();
      handle.stack = await startLocalStack({ ...options, ...ports });
    },
    async dispose() {
      await handle.stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
};

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny JSON client for the HTTP API. */
export const api = (baseUrl: () => string) => {
  const call = async <T = any>(
    method: string,
    urlPath: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${baseUrl()}${urlPath}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
  return {
    call,
    signUp: (name: string, password = 'correct horse') => call('POST', '/users', { body: { name, password } }),
    logIn: (name: string, password = 'correct horse') => call('POST', '/sessions', { body: { name, password } }),
  };
};
