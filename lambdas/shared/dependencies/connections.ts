/** The connections capability (API Gateway's `@connections` API): post to, inspect and close connections. */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ENV } from '../../../lib/app-manifest';
import { ApiGatewayConnectionGateway } from '../../adapters/api-gateway-connection-gateway';
import { requireEnv } from '../config';
import { once } from './core';

/** The `@connections` endpoint: the stage's callback URL on AWS, the emulator's locally. */
export const connectionGateway = once(
  () => new ApiGatewayConnectionGateway(new ApiGatewayManagementApiClient({ endpoint: requireEnv(ENV.connectionsEndpoint) })),
);
