/**
 * `npm run bench [-- <scenario>...] [--quick]`: latency, calls per operation, heartbeat writes,
 * search and cold start of the presence service, measured on the local stack.
 *
 * Each group of scenarios runs in a worker process with its own local stack (fresh temp data dir,
 * free ports; see profiles.ts); `coldstart` needs no stack. Results go to bench/results/<scenario>.json
 * (bench/results/quick/ with --quick, so a smoke run never overwrites the committed figures), and a
 * table is printed at the end. Exit code 0 only if every scenario ran and every correctness check held.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readResult, writeResult } from './lib/results';
import { PROFILES, resultsDir, SCENARIOS, type ScenarioName } from './profiles';
import { coldstart } from './scenarios/coldstart';

const USAGE = `usage: npm run bench [-- [--quick] [scenario ...]]
scenarios: ${SCENARIOS.join(', ')} (default: all)
  --quick   a smoke run of about 1.5 minutes: smaller defaults, shorter accounting lease and grace,
            the stacks side by side (its latencies are not figures to quote), results in bench/results/quick/`;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const children = new Set<ReturnType<typeof spawn>>();
let interrupted = false;

/** Runs one profile's worker; resolves with its exit code. Ctrl-C reaches it too (same process group). */
const runWorker = (profile: string, scenarios: readonly string[], quick: boolean): Promise<number> =>
  new Promise((resolve) => {
    const worker = path.join(__dirname, 'worker.ts');
    // tsx's CommonJS hook only, without its CLI's signal relay (which SIGKILLs a child that does
    // not report a signal within 30 ms): the worker handles Ctrl-C itself and stops its stack.
    // --no-warnings hides the SDK's Node 20 notice.
    // BENCH_CPU_PROF=<dir>: each worker writes a V8 CPU profile there (open it in Chrome DevTools).
    const cpuProfile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const args = [
      ...cpuProfile,
      '--require',
      require.resolve('tsx/cjs'),
      '--no-warnings',
      worker,
      profile,
      ...(quick ? ['--quick'] : []),
      ...scenarios,
    ];
    // The handlers' Logger and Metrics read these once, when their modules are first imported:
    // set before the worker starts. Structured logs at info level and one EMF line per invocation
    // (the meter counts calls itself; on AWS CloudWatch reads them) would drown the progress output.
    const env = { ...process.env, LOG_LEVEL: 'warn', POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true' };
    const child = spawn(process.execPath, args, { stdio: 'inherit', env });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? 1 : 130));
    });
  });

/** The table of this run's results (a result file older than `since` is from another run). */
const printTable = async (scenarios: readonly ScenarioName[], quick: boolean, since: number): Promise<void> => {
  const dir = resultsDir(quick);
  const lines: string[] = ['', `Results (${path.relative(process.cwd(), dir) || dir})`];
  for (const scenario of scenarios) {
    const result = await readResult(dir, scenario);
    if (result === null || Date.parse(result.date) < since) {
      lines.push('', `${scenario}: no result from this run`);
      continue;
    }
    lines.push(
      '',
      `${scenario}  (${result.date}, ${result.durationSeconds} s, ${result.machine.cpus} cores, node ${result.machine.node}${result.quick ? ', quick' : ''})`,
    );
    const width = Math.min(60, Math.max(...result.summary.map((row) => row.metric.length)));
    for (const row of result.summary) {
      const mark = row.ok === undefined ? ' ' : row.ok ? '✓' : '✗';
      const target = row.target === undefined ? '' : `   [target ${row.target}]`;
      lines.push(`  ${mark} ${row.metric.padEnd(width)}  ${row.value}${target}`);
    }
    if (result.failure !== undefined) lines.push(`  FAILED: ${result.failure}`);
  }
  log(lines.join('\n'));
};

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    log(USAGE);
    return 0;
  }
  const quick = args.includes('--quick');
  const unknownFlags = args.filter((arg) => arg.startsWith('--') && arg !== '--quick');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0 || unknownFlags.length > 0) {
    log(`unknown: ${[...unknown, ...unknownFlags].join(', ')}\n${USAGE}`);
    return 64;
  }
  const selected: ScenarioName[] = names.length === 0 ? [...SCENARIOS] : SCENARIOS.filter((name) => names.includes(name));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      interrupted = true;
      // The worker stops its local stack on the same signal; wait for it to exit.
      for (const child of children) child.kill(signal);
    });
  }

  const started = Date.now();
  const codes: number[] = [];
  const runProfile = async (profile: (typeof PROFILES)[number]): Promise<void> => {
    const scenarios = profile.scenarios.filter((name) => selected.includes(name));
    if (scenarios.length === 0 || interrupted) return;
    codes.push(await runWorker(profile.name, scenarios, quick));
  };
  const runColdstart = async (): Promise<void> => {
    if (!selected.includes('coldstart') || interrupted) return;
    const scenarioStarted = Date.now();
    log('[coldstart] bundling every handler and importing each in fresh processes');
    const output = await coldstart({ quick, log: (line) => log(`[coldstart]${line}`) });
    await writeResult(resultsDir(quick), 'coldstart', quick, scenarioStarted, output);
    log(`[coldstart] done in ${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s`);
  };
  if (quick) {
    // A smoke run: the stacks side by side. They share the machine, so quick latencies are only a
    // sign of life; the figures to quote come from a full run, one stack at a time.
    await Promise.all(PROFILES.map(runProfile));
  } else {
    for (const profile of PROFILES) await runProfile(profile);
  }
  // Import times are measured on a quiet machine, after the stacks have stopped.
  await runColdstart();
  if (interrupted) {
    log('\nbench interrupted: local stacks stopped, results of finished scenarios kept');
    return 130;
  }
  await printTable(selected, quick, started);
  log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (codes.some((code) => code !== 0)) {
    log(`\n*** BENCH FAILED: ${codes.includes(2) ? 'a correctness check failed (see FAILED above)' : 'a worker crashed'} ***`);
    return codes.includes(1) ? 1 : 2;
  }
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (interrupted) {
      log('\nbench interrupted');
      process.exit(130);
    }
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
