import middy from '@middy/core';
import type { ConfigReply } from '../../../contract/protocol';
import { type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { numberEnv, requireEnv } from '../../shared/config';
import { heartbeatSeconds, once } from '../../shared/dependencies/core';
import { DEFAULTS, ENV } from '../../shared/environment';

/** The deployment's timing and WebSocket URL, read once at cold start: a client heartbeats by these. */
const clientConfig = once(
  (): ConfigReply => ({
    heartbeatSeconds: heartbeatSeconds(),
    leaseSeconds: numberEnv(ENV.leaseSeconds, DEFAULTS.leaseSeconds),
    offlineGraceSeconds: numberEnv(ENV.graceSeconds, DEFAULTS.graceSeconds),
    webSocketUrl: requireEnv(ENV.webSocketUrl),
  }),
);

const lambdaHandler = async (): Promise<HttpResult> => json(200, clientConfig());

/** `GET /config` (public). */
export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors());
