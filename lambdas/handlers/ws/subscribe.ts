import type { Context } from 'aws-lambda';
import { parseClientFrame } from '../../../contract/validation';
import { InvalidRequestError } from '../../domain/errors';
import { presenceJson } from '../../domain/present';
import { frame, type WebSocketEvent, type WebSocketResult, webSocketRequest } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { userDirectory } from '../../shared/dependencies/database';
import { messageRoute } from './route';

const connectionService = connectionServiceWith({ directory: userDirectory }, 'wsSubscribe');

const lambdaHandler = async (event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const request = parseClientFrame(event.body);
  if (request.action !== 'subscribe') throw new InvalidRequestError('Expected a subscribe frame');
  const { presences, unknown } = await connectionService().subscribe(webSocketRequest(context).connectionId, request.userIds);
  return frame({ type: 'subscribed', requestId: request.requestId, presences: presences.map(presenceJson), unknown });
};

export const handler = messageRoute(lambdaHandler, connectionService);
