/**
 * Lambda REQUEST authorizer of the WebSocket `$connect` route. Browsers cannot set headers on a
 * WebSocket upgrade, so the token comes as `?token=`. The user id it puts in the context reaches
 * every later event of the connection; the message body is never trusted for identity.
 */
import { UnauthorizedError } from '../../domain/errors';
import { observed } from '../../middleware/observability';
import { knownUsers } from '../../shared/dependencies/database';
import { tokenService } from '../../shared/dependencies/tokens';
import { logger } from '../../shared/logger';

export interface WebSocketAuthorizerEvent {
  readonly methodArn: string;
  readonly queryStringParameters?: Record<string, string | undefined>;
}

export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly { Action: string; Effect: 'Allow'; Resource: string }[];
  };
  readonly context: { readonly userId: string; readonly name: string };
}

export const handler = observed(async (event: WebSocketAuthorizerEvent): Promise<AuthorizerResult> => {
  const token = event.queryStringParameters?.token ?? '';
  try {
    const principal = await tokenService().verify(token);
    // A connection would create presence for its user: only for a user that exists.
    if (!(await knownUsers().exists(principal.userId))) throw new UnauthorizedError('The token belongs to no existing user');
    return {
      principalId: principal.userId,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
      context: { userId: principal.userId, name: principal.name },
    };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    logger.info('connection refused', { reason: error.message });
    // API Gateway answers 401 when a REQUEST authorizer fails with exactly "Unauthorized".
    throw new Error('Unauthorized');
  }
});
