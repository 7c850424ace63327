import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { effectiveStatus, renewLease } from '../../domain/presence';
import { authenticate, type HttpEvent, type HttpResult, httpBody, httpErrors, json, principalOf } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { knownUsers } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

/** All of a user's HTTP-heartbeating clients share one lease. */
export const HTTP_LEASE_ID = 'http';

const lambdaHandler = async (_event: HttpEvent, context: Context): Promise<HttpResult> => {
  const { userId } = principalOf(context);
  const service = presenceService();
  const { state, now } = await service.apply(userId, (current, at, policy) => renewLease(current, HTTP_LEASE_ID, 'http', at, policy));
  const lease = state.leases[HTTP_LEASE_ID];
  return json(200, {
    status: effectiveStatus(state, now, service.policy),
    leaseExpiresAt: new Date(lease?.expiresAt ?? now).toISOString(),
  });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(httpBody())
  .use(authenticate({ tokens: tokenService, users: knownUsers }));
