import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { MeReply } from '../../../contract/protocol';
import { UnauthorizedError } from '../../domain/errors';
import { presenceJson, userJson } from '../../domain/present';
import { authenticate, type HttpEvent, type HttpResult, httpErrors, json, principalOf } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { userDirectory } from '../../shared/dependencies/database';
import { presenceService, presenceStore } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

/**
 * `GET /me`: the token's own user, their effective status and their manual setting. A validly
 * signed token whose user no longer exists is not a session: 401, so that a client can tell a
 * dead token (stop retrying) from a network failure (retry).
 */
const lambdaHandler = async (_event: HttpEvent, context: Context): Promise<HttpResult> => {
  const { userId } = principalOf(context);
  const user = await userDirectory().findById(userId);
  if (user === null) throw new UnauthorizedError('The token belongs to no existing user');
  const [[view], state] = await Promise.all([presenceService().views([user]), presenceStore().load(userId)]);
  const { status, lastSeen } = presenceJson(view);
  const reply: MeReply = { user: userJson(user), status, lastSeen, setting: state.manual };
  return json(200, reply);
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(authenticate({ tokens: tokenService }));
