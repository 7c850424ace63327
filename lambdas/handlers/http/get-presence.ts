import middy from '@middy/core';
import { parseIdList } from '../../../contract/validation';
import { presenceJson } from '../../domain/present';
import { authenticate, type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { userDirectory } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const ids = parseIdList(event.queryStringParameters?.userIds);
  const known = new Map((await userDirectory().findMany(ids)).map((user) => [user.id, user]));
  const users = ids.flatMap((id) => known.get(id) ?? []);
  const views = await presenceService().views(users);
  return json(200, { presences: views.map(presenceJson) });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(authenticate({ tokens: tokenService }));
