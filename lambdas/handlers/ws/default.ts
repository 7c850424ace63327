import { parseClientFrame } from '../../../contract/validation';
import { InvalidRequestError } from '../../domain/errors';
import type { WebSocketEvent, WebSocketResult } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { messageRoute } from './route';

/**
 * `$default`: frames no route matched (bad JSON, no or unknown action). Parsing says what is
 * wrong; a well-formed frame of a known action cannot land here, but is refused all the same.
 */
const lambdaHandler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const request = parseClientFrame(event.body);
  throw new InvalidRequestError(`The "${request.action}" action was not routed`);
};

export const handler = messageRoute(lambdaHandler, connectionServiceWith({}, 'wsDefault'));
