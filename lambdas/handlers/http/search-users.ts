import middy from '@middy/core';
import { parseSearchQuery } from '../../../contract/validation';
import { presenceJson, userJson } from '../../domain/present';
import { authenticate, type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { userDirectory } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const { q, limit, cursor } = parseSearchQuery(event.queryStringParameters ?? {});
  const page = await userDirectory().search(q, limit, cursor);
  const views = await presenceService().views(page.users);
  const users = page.users.map((user, index) => {
    const { status, lastSeen } = presenceJson(views[index]);
    return { ...userJson(user), status, lastSeen };
  });
  return json(200, { users, nextCursor: page.nextCursor });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(authenticate({ tokens: tokenService }));
