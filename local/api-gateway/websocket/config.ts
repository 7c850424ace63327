/**
 * A WebSocket API's configuration: the options it is started with, checked and resolved once at
 * start so that a bad route table or expression fails there, not on the first message.
 */
import type { FunctionConfig } from '../../lambda/invoke';
import { type IdentitySource, parseIdentitySource } from './authorizer-policy';
import { evaluateRouteSelectionExpression } from './route-selection';

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default` or a custom route key. */
  readonly routeKey: string;
  readonly fn: FunctionConfig;
  /** The route has a route response (two-way): the integration's `body` is sent back to the client. */
  readonly returnResponse?: boolean;
}

export interface WebSocketAuthorizerConfig {
  readonly fn: FunctionConfig;
  /** E.g. `['route.request.querystring.token']` or `['route.request.header.Authorization']`. */
  readonly identitySource: readonly string[];
}

export interface WebSocketApiOptions {
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default `local`. */
  readonly stage?: string;
  /** Default `$request.body.action`. */
  readonly routeSelectionExpression?: string;
  readonly routes: readonly WebSocketRoute[];
  /** Lambda REQUEST authorizer on `$connect`. */
  readonly authorizer?: WebSocketAuthorizerConfig;
  /** AWS: 600. */
  readonly idleTimeoutSeconds?: number;
  /** AWS: 7200. */
  readonly maxConnectionSeconds?: number;
  readonly log?: (line: string) => void;
}

/** The options after defaults and checks. */
export interface WebSocketConfig {
  readonly stage: string;
  readonly host: string;
  readonly routeSelectionExpression: string;
  /** Every route's function by route key. */
  readonly routes: ReadonlyMap<string, FunctionConfig>;
  /** The keys a message can select: every route but `$connect` and `$disconnect`. */
  readonly messageRouteKeys: ReadonlySet<string>;
  /** The routes with a route response. */
  readonly twoWay: ReadonlySet<string>;
  readonly authorizer?: { readonly fn: FunctionConfig; readonly identitySources: readonly IdentitySource[] };
  readonly idleMs: number;
  readonly maxMs: number;
  readonly log: (line: string) => void;
}

// AWS: connections idle for 10 minutes or open for 2 hours are closed with 1001.
const DEFAULT_IDLE_SECONDS = 600;
const DEFAULT_MAX_CONNECTION_SECONDS = 7200;

export const resolveConfig = (options: WebSocketApiOptions): WebSocketConfig => {
  const routeSelectionExpression = options.routeSelectionExpression ?? '$request.body.action';
  const identitySources = (options.authorizer?.identitySource ?? []).map(parseIdentitySource);
  if (options.authorizer !== undefined && identitySources.length === 0)
    throw new Error('A WebSocket authorizer needs at least one identity source');
  const routes = new Map<string, FunctionConfig>();
  for (const route of options.routes) {
    if (routes.has(route.routeKey)) throw new Error(`Duplicate WebSocket route ${route.routeKey}`);
    routes.set(route.routeKey, route.fn);
  }
  evaluateRouteSelectionExpression(routeSelectionExpression, '{}'); // fails at start on an unsupported expression
  return {
    stage: options.stage ?? 'local',
    host: options.host ?? '127.0.0.1',
    routeSelectionExpression,
    routes,
    messageRouteKeys: new Set([...routes.keys()].filter((key) => key !== '$connect' && key !== '$disconnect')),
    twoWay: new Set(options.routes.filter((route) => route.returnResponse === true).map((route) => route.routeKey)),
    ...(options.authorizer === undefined ? {} : { authorizer: { fn: options.authorizer.fn, identitySources } }),
    idleMs: (options.idleTimeoutSeconds ?? DEFAULT_IDLE_SECONDS) * 1000,
    maxMs: (options.maxConnectionSeconds ?? DEFAULT_MAX_CONNECTION_SECONDS) * 1000,
    log: options.log ?? (() => undefined),
  };
};
