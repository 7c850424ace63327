import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionGateway, PostResult } from '../ports';

const isGone = (error: unknown): boolean => error instanceof GoneException || (error as { name?: string }).name === 'GoneException';

/** The WebSocket API's `@connections` management API (endpoint: the stage's callback URL). */
export class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly encoder = new TextEncoder();

  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async post(connectionId: string, message: unknown): Promise<PostResult> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: this.encoder.encode(JSON.stringify(message)) }));
      return 'delivered';
    } catch (error) {
      if (isGone(error)) return 'gone';
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
