import middy from '@middy/core';
import { parseIdParam } from '../../../contract/validation';
import { NotFoundError } from '../../domain/errors';
import { presenceJson, userJson } from '../../domain/present';
import { authenticate, type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { userDirectory } from '../../shared/dependencies/database';
import { presenceService } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const user = await userDirectory().findById(parseIdParam(event.pathParameters?.id));
  if (user === null) throw new NotFoundError('No such user');
  const [view] = await presenceService().views([user]);
  const { status, lastSeen } = presenceJson(view);
  return json(200, { ...userJson(user), status, lastSeen });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler)
  .use(observability())
  .use(httpErrors())
  .use(authenticate({ tokens: tokenService }));
