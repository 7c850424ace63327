/** API Gateway WebSocket API emulation and its `@connections` management API. */
export type { WebSocketApiOptions } from './config';
export type { WebSocketConnectEvent, WebSocketDisconnectEvent, WebSocketMessageEvent } from './events';
export { startWebSocketApi, type WebSocketApi } from './server';
