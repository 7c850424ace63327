/**
 * Runs the scenarios of one profile against one local stack, in its own process:
 * `tsx bench/worker.ts <profile> [--quick] <scenario>...`. Started by bench/index.ts.
 * Exit code: 0 ok, 2 a scenario found a correctness failure, 1 the bench itself failed.
 */

import { parseChoice, parseFunctionIsolation } from '../local/stack';
import { writeResult } from './lib/results';
import { type BenchStack, startBenchStack } from './lib/stack';
import { PROFILES, resultsDir, type ScenarioName } from './profiles';
import { auth } from './scenarios/auth';
import { calls } from './scenarios/calls';
import { churn } from './scenarios/churn';
import { fanout } from './scenarios/fanout';
import { heartbeat } from './scenarios/heartbeat';
import { hotuser } from './scenarios/hotuser';
import { notify } from './scenarios/notify';
import { search } from './scenarios/search';
import { sweep } from './scenarios/sweep';
import type { Scenario } from './scenarios/types';

const RUNNERS: Partial<Record<ScenarioName, Scenario>> = { notify, fanout, hotuser, search, auth, heartbeat, calls, churn, sweep };

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let interrupted = false;

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const [profileName, ...names] = args.filter((arg) => !arg.startsWith('--'));
  const profile = PROFILES.find((candidate) => candidate.name === profileName);
  if (profile === undefined) throw new Error(`unknown profile ${profileName}`);
  const selected = names.filter((name): name is ScenarioName => (profile.scenarios as readonly string[]).includes(name));
  if (selected.length === 0) return 0;

  let starting: Promise<BenchStack> | undefined;
  let stopped: Promise<void> | undefined;
  // One stop for every path (signal, failure, end), also while the stack is still starting: a
  // second caller waits for the first.
  const stop = (): Promise<void> =>
    (stopped ??=
      starting === undefined
        ? Promise.resolve()
        : starting.then(
            (bench) => bench.stop(),
            () => undefined,
          ));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`[${profile.name}] ${signal}: stopping the local stack`);
      setTimeout(() => process.exit(130), 15_000).unref();
      void stop().finally(() => process.exit(130));
    });
  }

  const started = Date.now();
  // BENCH_FUNCTION_ISOLATION=process|thread runs a profile the other way, to compare the two.
  const stack = {
    ...profile.stack,
    ...(quick ? profile.quickStack : {}),
    functionIsolation: parseFunctionIsolation(
      process.env.BENCH_FUNCTION_ISOLATION,
      'BENCH_FUNCTION_ISOLATION',
      profile.stack.functionIsolation,
    ),
    // BENCH_DYNAMODB=disk runs DynamoDB Local as `npm start` does (the bench's figures before 2026-12-05 ran it so).
    dynamoDb: parseChoice(process.env.BENCH_DYNAMODB, 'BENCH_DYNAMODB', ['memory', 'disk'], 'memory'),
  };
  log(
    `[${profile.name}] starting a local stack (${profile.description}; DynamoDB Local ${stack.dynamoDb === 'disk' ? 'on disk, as npm start' : 'in memory'}${quick && profile.quickStack ? `; --quick: ${JSON.stringify(profile.quickStack)}` : ''})`,
  );
  // Once interrupted, what the stopping stack reports about interrupted work is noise.
  starting = startBenchStack({ ...stack, log: (line) => (interrupted ? undefined : log(line)) });
  const bench = await starting;
  log(`[${profile.name}] local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let failed = false;
  try {
    for (const name of selected) {
      const runner = RUNNERS[name];
      if (runner === undefined) continue;
      const scenarioStarted = Date.now();
      log(`[${name}] running${quick ? ' (quick)' : ''}`);
      const output = await runner({ bench, quick, log: (line) => log(`[${name}]${line.startsWith(' ') ? '' : ' '}${line}`) });
      const file = await writeResult(resultsDir(quick), name, quick, scenarioStarted, output, {
        functionIsolation: stack.functionIsolation,
        dynamoDb: stack.dynamoDb,
      });
      log(`[${name}] done in ${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s -> ${file}`);
      if (output.failure !== undefined) {
        failed = true;
        log(`[${name}] FAILED: ${output.failure}`);
      }
    }
    if (bench.problems.length > 0) log(`[${profile.name}] the local stack logged ${bench.problems.length} problem(s); see above`);
  } finally {
    const stopStarted = Date.now();
    await stop();
    log(`[${profile.name}] local stack stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
  }
  return failed ? 2 : 0;
};

main().then(
  (code) => process.exit(interrupted ? 130 : code),
  (error: unknown) => {
    // Interrupted: the signal handler exits once the stack is down; the scenario's error is its echo.
    if (interrupted) return;
    process.stderr.write(`bench worker failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
