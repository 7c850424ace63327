/**
 * `auth`: sign-up and log-in through the HTTP API, one call at a time (as users do), in batches;
 * the p50 and p99 reported are medians over the batches. Both are dominated by scrypt, on purpose.
 */
import { distribution, median, now } from '../lib/stats';
import { ms, type Scenario } from './types';

export const auth: Scenario = async ({ bench, quick, log }) => {
  const params = { calls: quick ? 30 : 100, batches: 3 };
  const base = bench.stack.httpUrl;
  const post = async (path: string, body: unknown): Promise<number> => {
    const started = now();
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.text();
    if (response.status >= 300) throw new Error(`${path} answered ${response.status}`);
    return now() - started;
  };
  const signUps = [];
  const logIns = [];
  for (let batch = 0; batch < params.batches; batch += 1) {
    const up: number[] = [];
    const login: number[] = [];
    for (let call = 0; call < params.calls; call += 1) {
      const name = `auth${batch}_${call}`;
      up.push(await post('/users', { name, password: 'correct horse battery' }));
      login.push(await post('/sessions', { name, password: 'correct horse battery' }));
    }
    signUps.push(distribution(up));
    logIns.push(distribution(login));
    log(`  batch ${batch + 1}/${params.batches}: sign-up p50 ${ms(median(up))}, log-in p50 ${ms(median(login))}`);
  }
  const med = (runs: ReturnType<typeof distribution>[], field: 'p50' | 'p99') => median(runs.map((run) => run[field]));
  return {
    rows: [
      {
        metric: `POST /users (sign-up) p50 / p99, ${params.calls} calls x ${params.batches}`,
        value: `${ms(med(signUps, 'p50'))} / ${ms(med(signUps, 'p99'))}`,
      },
      {
        metric: `POST /sessions (log-in) p50 / p99, ${params.calls} calls x ${params.batches}`,
        value: `${ms(med(logIns, 'p50'))} / ${ms(med(logIns, 'p99'))}`,
      },
    ],
    result: {
      parameters: params,
      signUpMs: { p50MedianOfBatches: med(signUps, 'p50'), p99MedianOfBatches: med(signUps, 'p99'), perBatch: signUps },
      logInMs: { p50MedianOfBatches: med(logIns, 'p50'), p99MedianOfBatches: med(logIns, 'p99'), perBatch: logIns },
    },
  };
};
