/**
 * Where the page finds the APIs: one config object. A deployment writes it into `config.js`
 * (`window.PRESENCE_CONFIG = {"httpUrl": "...", "wsUrl": "..."}`); the local runtime serves one
 * with its real WebSocket port. There is deliberately no query-string override: a link could
 * otherwise send the user's token to another host.
 */
export interface WebConfig {
  /** Base URL of the HTTP API; empty means the page's own origin. */
  readonly httpUrl: string;
  /** The WebSocket API URL, without the token. */
  readonly wsUrl: string;
  /** The deployment's timing (as `GET /config` reports it); when config.js leaves it out, the client asks `GET /config`. */
  readonly heartbeatSeconds?: number;
  readonly leaseSeconds?: number;
  readonly offlineGraceSeconds?: number;
}

const seconds = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

export interface PageLocation {
  readonly protocol: string;
  readonly hostname: string;
}

/** Local default: the WebSocket API on port 4001 of the page's host (PROTOCOL.md's local URL). */
export const DEFAULT_WS_PORT = 4001;

/** config.js first, then `<meta name="presence-http-url|presence-ws-url">`, then same-origin defaults. */
export const resolveConfig = (
  given: Partial<WebConfig> | undefined,
  meta: (name: string) => string | undefined,
  location: PageLocation,
): WebConfig => ({
  httpUrl: given?.httpUrl ?? meta('presence-http-url') ?? '',
  wsUrl:
    given?.wsUrl ?? meta('presence-ws-url') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:${DEFAULT_WS_PORT}`,
  heartbeatSeconds: seconds(given?.heartbeatSeconds),
  leaseSeconds: seconds(given?.leaseSeconds),
  offlineGraceSeconds: seconds(given?.offlineGraceSeconds),
});
