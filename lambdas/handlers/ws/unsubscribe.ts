import type { Context } from 'aws-lambda';
import { parseClientFrame } from '../../../contract/validation';
import { InvalidRequestError } from '../../domain/errors';
import { frame, type WebSocketEvent, type WebSocketResult, webSocketRequest } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { messageRoute } from './route';

const connectionService = connectionServiceWith({}, 'wsUnsubscribe');

const lambdaHandler = async (event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const request = parseClientFrame(event.body);
  if (request.action !== 'unsubscribe') throw new InvalidRequestError('Expected an unsubscribe frame');
  await connectionService().unsubscribe(webSocketRequest(context).connectionId, request.userIds);
  return frame({ type: 'unsubscribed', requestId: request.requestId, userIds: request.userIds });
};

export const handler = messageRoute(lambdaHandler, connectionService);
