/** API Gateway WebSocket API emulation and its `@connections` management API. */
export type { WebSocketApiOptions, WebSocketAuthorizerConfig, WebSocketRoute } from './config';
export type { WebSocketAuthorizerEvent, WebSocketConnectEvent, WebSocketDisconnectEvent, WebSocketMessageEvent } from './events';
export { type WebSocketApi, startWebSocketApi } from './server';
