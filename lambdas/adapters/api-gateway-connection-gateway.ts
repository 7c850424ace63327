import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, PostResult } from '../ports';

const isGone = (error: unknown): boolean => error instanceof GoneException || (error as { name?: string }).name === 'GoneException';
/** 429: the client's buffer is full, or the account's request rate is exceeded. */
const isThrottled = (error: unknown): boolean =>
  error instanceof LimitExceededException || (error as { name?: string }).name === 'LimitExceededException';

/** The WebSocket API's `@connections` management API (endpoint: the stage's callback URL). */
export class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly encoder = new TextEncoder();

  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, message: unknown): Promise<PostResult> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: this.encoder.encode(JSON.stringify(message)) }),
      );
      return 'delivered';
    } catch (error) {
      if (isGone(error)) return 'gone';
      if (isThrottled(error)) return 'throttled';
      throw error;
    }
  }

  async lastActiveAt(connectionId: string): Promise<number | null> {
    try {
      const output = await this.client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      return output.LastActiveAt?.getTime() ?? output.ConnectedAt?.getTime() ?? null;
    } catch (error) {
      if (isGone(error)) return null;
      throw error;
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}
