import type { Context } from 'aws-lambda';
import { parseClientFrame } from '../../../contract/validation';
import { InvalidRequestError } from '../../domain/errors';
import { frame, leaseRenewalOf, type WebSocketEvent, type WebSocketResult } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { messageRoute } from './route';

/** The frame's lease renewal (done by the route middleware) is the whole point of a heartbeat. */
const lambdaHandler = async (event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const request = parseClientFrame(event.body);
  if (request.action !== 'heartbeat') throw new InvalidRequestError('Expected a heartbeat frame');
  const leaseEndsAt = await leaseRenewalOf(context);
  return frame({ type: 'heartbeat', requestId: request.requestId, leaseExpiresAt: new Date(leaseEndsAt).toISOString() });
};

export const handler = messageRoute(lambdaHandler, connectionServiceWith({}, 'wsHeartbeat'));
