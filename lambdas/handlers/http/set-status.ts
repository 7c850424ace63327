import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseJsonBody, parseStatus } from '../../../contract/validation';
import { setManualStatus } from '../../domain/presence';
import { authenticate, type HttpEvent, type HttpResult, httpBody, httpErrors, json, principalOf } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { knownUsers } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

const lambdaHandler = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
  const status = parseStatus(parseJsonBody(event.body).status);
  const { userId } = principalOf(context);
  await presenceService().apply(userId, (state, now, policy) => setManualStatus(state, status, now, policy));
  return json(200, { status });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(httpBody())
  .use(authenticate({ tokens: tokenService, users: knownUsers }));
