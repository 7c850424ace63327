import middy from '@middy/core';
import { parseAccount, parseJsonBody } from '../../../contract/validation';
import { userJson } from '../../domain/present';
import { type HttpEvent, type HttpResult, httpBody, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import { passwordHasher } from '../../shared/dependencies/core';
import { userDirectory } from '../../shared/dependencies/database';
import { tokenService } from '../../shared/dependencies/tokens';

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const { name, password } = parseAccount(parseJsonBody(event.body));
  const user = await userDirectory().create(name, await passwordHasher().hash(password));
  const { token, expiresAt } = await tokenService().issue(user);
  return json(201, { user: userJson(user), token, expiresAt: new Date(expiresAt).toISOString() });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors()).use(httpBody());
