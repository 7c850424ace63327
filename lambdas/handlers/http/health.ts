/**
 * `GET /health`: 200 `{"status":"ok"}` when every store it probes answers within a second, else
 * 503 `{"status":"degraded","failing":[...]}` naming the ones that did not.
 *
 * What is probed is configuration (`HEALTH_PROBES`, a comma list; default `presenceTable`), and
 * each probe is as cheap as the store allows:
 * - `presenceTable`: one eventually consistent GetItem of a key that never holds an item, on the
 *   data plane every presence call takes: half a read request unit ($0.125 per million on demand,
 *   so a probe every 10 s costs about $0.03 a month).
 * - `dataApi`: `SELECT 1` through the RDS Data API (the users database). Left out on AWS (the
 *   function gets no database grant): any Data API call resumes an auto-paused Aurora Serverless
 *   v2 cluster (this stack's minimum is 0 ACU), so a load balancer or uptime check probing every
 *   30 s would keep it at 0.5 ACU around the clock (about $44 a month at $0.12 per ACU-hour) and
 *   it would never pause; a failing database shows in sign-up/log-in errors and alarms instead.
 *   The local stack lists it: PGlite never pauses, and its worker is a stand-in that can die.
 */
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { ConfigurationError, optionalEnv, requireEnv } from '../../shared/config';
import { once, SDK_CLIENT_DEFAULTS } from '../../shared/dependencies/core';
import { dynamoDocumentClient, presenceTableName } from '../../shared/dependencies/presence-table';
import { ENV } from '../../shared/environment';
import { logger } from '../../shared/logger';

/** Well inside the function's 3 s timeout; a store slower than this is not answering for a user either. */
const PROBE_TIMEOUT_MS = 1_000;

type Probe = (abortSignal: AbortSignal) => Promise<unknown>;

const PROBES: Readonly<Record<string, () => Probe>> = {
  presenceTable: () => {
    const client = dynamoDocumentClient();
    const table = presenceTableName();
    return (abortSignal) =>
      client.send(new GetCommand({ TableName: table, Key: { pk: 'HEALTH#probe', sk: 'HEALTH#probe' } }), { abortSignal });
  },
  dataApi: () => {
    // One attempt: a retry would only outlast the timeout.
    const client = new RDSDataClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.rdsDataEndpoint), maxAttempts: 1 });
    const target = { resourceArn: requireEnv(ENV.dbResourceArn), secretArn: requireEnv(ENV.dbSecretArn), database: requireEnv(ENV.dbName) };
    return (abortSignal) => client.send(new ExecuteStatementCommand({ ...target, sql: 'SELECT 1' }), { abortSignal });
  },
};

const probes = once((): [string, Probe][] =>
  (optionalEnv(ENV.healthProbes) ?? 'presenceTable').split(',').map((name) => {
    const build = PROBES[name.trim()];
    if (build === undefined)
      throw new ConfigurationError(`${ENV.healthProbes} lists an unknown store "${name}" (known: ${Object.keys(PROBES).join(', ')})`);
    return [name.trim(), build()];
  }),
);

const lambdaHandler = async (): Promise<HttpResult> => {
  const results = await Promise.all(
    probes().map(async ([name, probe]) => {
      try {
        await probe(AbortSignal.timeout(PROBE_TIMEOUT_MS));
        return null;
      } catch (error) {
        logger.warn('health probe failed', { store: name, error });
        return name;
      }
    }),
  );
  const failing = results.filter((name): name is string => name !== null);
  return failing.length === 0 ? json(200, { status: 'ok' }) : json(503, { status: 'degraded', failing });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors());
