/** The connections capability (API Gateway's `@connections` API): post to, inspect and close connections. */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewayConnectionGateway } from '../../adapters/api-gateway-connection-gateway';
import { requireEnv } from '../config';
import { ENV } from '../environment';
import { once, SDK_CLIENT_DEFAULTS } from './core';

/** The `@connections` endpoint: the stage's callback URL on AWS, the emulator's locally. */
export const connectionGateway = once(
  () =>
    new ApiGatewayConnectionGateway(
      new ApiGatewayManagementApiClient({ ...SDK_CLIENT_DEFAULTS, endpoint: requireEnv(ENV.connectionsEndpoint) }),
    ),
);

/** A post answered by nothing within this time is retried later, by the delivery-retry queue. */
const POST_TIMEOUT_MS = 3_000;

/**
 * For presence pushes: one attempt per call, with a timeout. A failed post is retried for its
 * connection alone, later, through the delivery-retry queue; the SDK's own retries (3 attempts,
 * with backoff on LimitExceededException) would hold a post slot while a slow client's buffer
 * stays full.
 */
export const deliveryGateway = once(
  () =>
    new ApiGatewayConnectionGateway(
      new ApiGatewayManagementApiClient({
        ...SDK_CLIENT_DEFAULTS,
        endpoint: requireEnv(ENV.connectionsEndpoint),
        maxAttempts: 1,
        requestHandler: { requestTimeout: POST_TIMEOUT_MS },
      }),
    ),
);
