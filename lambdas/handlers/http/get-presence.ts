import middy from '@middy/core';
import { presenceJson } from '../../domain/present';
import { parseIdList } from '../../../contract/validation';
import { type HttpEvent, type HttpResult, authenticate, httpErrors, json } from '../../middleware/http';
import { userDirectory } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';
import { observability } from '../../middleware/observability';

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const ids = parseIdList(event.queryStringParameters?.userIds);
  const known = new Map((await userDirectory().findMany(ids)).map((user) => [user.id, user]));
  const users = ids.flatMap((id) => known.get(id) ?? []);
  const views = await presenceService().views(users);
  return json(200, { presences: views.map(presenceJson) });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors()).use(authenticate({ tokens: tokenService }));
