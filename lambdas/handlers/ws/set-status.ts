import type { Context } from 'aws-lambda';
import { parseClientFrame } from '../../../contract/validation';
import { InvalidRequestError } from '../../domain/errors';
import { frame, leaseRenewalOf, type WebSocketEvent, type WebSocketResult, webSocketRequest } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { messageRoute } from './route';

const connectionService = connectionServiceWith({}, 'wsSetStatus');

const lambdaHandler = async (event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const request = parseClientFrame(event.body);
  if (request.action !== 'setStatus') throw new InvalidRequestError('Expected a setStatus frame');
  // The lease renewal of this frame runs first, so a reconnecting client setting "online" is online at once.
  await leaseRenewalOf(context);
  await connectionService().setStatus(webSocketRequest(context).userId, request.status);
  return frame({ type: 'status', requestId: request.requestId, status: request.status });
};

export const handler = messageRoute(lambdaHandler, connectionService);
