/**
 * Scenarios grouped by the stack they need. The handlers read their configuration once per process
 * (as a Lambda does per execution environment), so each group runs in its own worker process with
 * its own local stack.
 */
import path from 'node:path';
import type { BenchStackOptions } from './lib/stack';

export const SCENARIOS = ['notify', 'fanout', 'hotuser', 'search', 'auth', 'heartbeat', 'calls', 'churn', 'sweep', 'coldstart'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Profile {
  readonly name: string;
  readonly description: string;
  readonly stack: Omit<BenchStackOptions, 'log'>;
  /** What `--quick` changes in the stack (counts per operation do not depend on these times). */
  readonly quickStack?: Partial<Omit<BenchStackOptions, 'log'>>;
  readonly scenarios: readonly ScenarioName[];
}

export const PROFILES: readonly Profile[] = [
  {
    name: 'latency',
    // Bench sockets send no heartbeats; a 900 s lease outlives hotuser's setup of 5,100 sockets
    // (over 150 s on a loaded machine, after which the sweeper closed the first ones mid-run).
    description: 'grace 0 (notify latency is the pipeline alone), lease 900 s (bench sockets do not heartbeat), sweeper every 60 s',
    stack: { leaseSeconds: 900, graceSeconds: 0, sweepSeconds: 60, countingProxies: false, functionIsolation: 'process' },
    scenarios: ['notify', 'fanout', 'search', 'auth'],
  },
  {
    name: 'isolated',
    // One process runs the emulated API Gateway, SQS and every function: a popular user's posts
    // then take the event loop and the SDK's socket pool the others' posts need, which on AWS
    // belong to other execution environments. Each function here gets its own worker thread.
    description: 'each function in its own worker thread (as in its own execution environments on AWS); grace 0, lease 900 s',
    stack: { leaseSeconds: 900, graceSeconds: 0, sweepSeconds: 60, countingProxies: false, functionIsolation: 'thread' },
    scenarios: ['hotuser'],
  },
  {
    name: 'accounting',
    // A 10 s lease keeps the heartbeat ratio of the contract (heartbeat = lease / 2.5) in seconds
    // rather than minutes; the sweeper is invoked by the calls scenario itself, so its calls are
    // counted on their own instead of landing in the middle of another operation.
    description: 'contract grace 3 s, lease 10 s (heartbeat every 4 s), sweeper run on demand, counting proxies',
    stack: { leaseSeconds: 10, graceSeconds: 3, sweepSeconds: 3600, countingProxies: true, functionIsolation: 'process' },
    quickStack: { leaseSeconds: 5, graceSeconds: 1 },
    scenarios: ['calls', 'heartbeat'],
  },
  {
    name: 'contract',
    description: 'the contract defaults: lease 150 s, grace 3 s, sweeper every 60 s',
    stack: { leaseSeconds: 150, graceSeconds: 3, sweepSeconds: 60, countingProxies: false, functionIsolation: 'process' },
    scenarios: ['churn', 'sweep'],
  },
];

/** Where results go: the committed ones, or a scratch folder for `--quick` runs. */
export const resultsDir = (quick: boolean): string => path.join(__dirname, 'results', ...(quick ? ['quick'] : []));
