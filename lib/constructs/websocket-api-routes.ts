import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerName, HandlerSpec, WebSocketRouteSpec } from '../app-manifest';
import type { CapabilityResources } from './capabilities';
import { PresenceFunction, type PresenceFunctionProps } from './presence-function';

/** The only route API Gateway runs an authorizer on: the others inherit the connection's identity. */
const CONNECT_ROUTE = '$connect';

/** Stage-wide message limits, applied to every route (`$connect` included). */
export interface WebSocketStageThrottle {
  /** Steady-state messages per second. */
  readonly rateLimit: number;
  /** Messages allowed in a burst. */
  readonly burstLimit: number;
}

/** The Lambda REQUEST authorizer of `$connect` (`websocketAuthorizer` in the app manifest). */
export interface WebSocketAuthorizerSpec {
  /** The handler that verifies the token and returns the connection's identity. */
  readonly handler: HandlerName;
  /** Where the token is read; a request without it is refused before the authorizer runs. */
  readonly identitySource: readonly string[];
}

/** Props of {@link WebSocketApiRoutes}. */
export interface WebSocketApiRoutesProps extends Omit<PresenceFunctionProps, 'spec' | 'description' | 'resources'> {
  /** The routes (`websocketRoutes` in the app manifest): one API Gateway route each. */
  readonly routes: readonly WebSocketRouteSpec[];
  /** How a frame picks its route (`websocketRouteSelectionExpression` in the app manifest). */
  readonly routeSelectionExpression: string;
  /** The authorizer of `$connect`. */
  readonly authorizer: WebSocketAuthorizerSpec;
  /** The handlers the routes and the authorizer name (`handlers` in the app manifest); one function each. */
  readonly handlers: Readonly<Record<HandlerName, HandlerSpec>>;
  /**
   * What the capabilities map to, except the WebSocket stage: this construct creates it, and a
   * route handler with the `connections` capability gets this API's own stage.
   */
  readonly resources: Omit<CapabilityResources, 'webSocketStage'>;
  /** Stage throttling. */
  readonly throttle: WebSocketStageThrottle;
  /**
   * Name of the stage, the last segment of the URL clients connect to.
   * @default 'live'
   */
  readonly stageName?: string;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Whether the stage writes access logs. WebSocket (unlike HTTP API) access logs need the account's
   * API Gateway CloudWatch Logs role (`aws apigateway update-account`, once per account and region);
   * without it the stage fails to create, so they are off unless asked for.
   * @default false
   */
  readonly accessLogs?: boolean;
}

/**
 * One JSON object per connect, message and disconnect. `requestId` is the `requestContext.requestId`
 * of the handler's event, which every handler log line carries as `requestId`, beside the
 * `connectionId` (lambdas/middleware/observability.ts).
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    eventType: '$context.eventType',
    routeKey: '$context.routeKey',
    connectionId: '$context.connectionId',
    status: '$context.status',
    integrationLatency: '$context.integrationLatency',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
  }),
);

/**
 * The realtime half of the contract: an API Gateway WebSocket API whose routes are the app
 * manifest's, each integrated with its handler's function. `$connect` is guarded by a Lambda
 * REQUEST authorizer reading the token from the query string (browsers cannot set headers on an
 * upgrade); routes declared with `returnResponse` send the handler's body back as the reply frame.
 * One auto-deployed stage, throttled, optionally writing JSON access logs (see `accessLogs`).
 */
export class WebSocketApiRoutes extends Construct {
  /** The API. */
  public readonly api: apigwv2.WebSocketApi;
  /** The stage clients connect to; its callback URL is the `@connections` endpoint. */
  public readonly stage: apigwv2.WebSocketStage;
  /** The functions, by handler name: route handlers and the authorizer. */
  public readonly functions: ReadonlyMap<HandlerName, PresenceFunction>;

  constructor(scope: Construct, id: string, props: WebSocketApiRoutesProps) {
    super(scope, id);
    const {
      routes,
      routeSelectionExpression,
      authorizer: authorizerSpec,
      handlers,
      throttle,
      stageName,
      accessLogRetention,
      accessLogs: withAccessLogs,
      resources,
      ...functionProps
    } = props;

    // Routes are added below rather than through connectRouteOptions & co.: the functions come
    // after the stage, so that a route handler using `connections` could be given it.
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-ws`,
      description: 'Presence service WebSocket API',
      routeSelectionExpression,
    });

    const accessLogs = withAccessLogs
      ? new logs.LogGroup(this, 'AccessLogs', {
          retention: accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        })
      : undefined;
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: stageName ?? 'live',
      autoDeploy: true,
      throttle,
      ...(accessLogs === undefined
        ? {}
        : { accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT } }),
    });
    if (accessLogs === undefined) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason:
          'WebSocket access logs need the account-wide API Gateway CloudWatch Logs role, which this stack does not own; ' +
          'every connect, message and disconnect is already logged by its handler. Set webSocketAccessLogs once the role exists.',
      });
    }

    const functionResources: CapabilityResources = { ...resources, webSocketStage: this.stage };
    const functions = new Map<HandlerName, PresenceFunction>();
    const functionFor = (name: HandlerName): PresenceFunction => {
      const existing = functions.get(name);
      if (existing !== undefined) return existing;
      const created = new PresenceFunction(this, name, { ...functionProps, spec: handlers[name], resources: functionResources });
      functions.set(name, created);
      return created;
    };

    const authorizer = new WebSocketLambdaAuthorizer('Authorizer', functionFor(authorizerSpec.handler).function, {
      identitySource: [...authorizerSpec.identitySource],
    });

    const integrations = new Map<HandlerName, WebSocketLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.handler);
      if (integration === undefined) {
        integration = new WebSocketLambdaIntegration(`${route.handler}Integration`, functionFor(route.handler).function);
        integrations.set(route.handler, integration);
      }
      const isConnect = route.routeKey === CONNECT_ROUTE;
      const webSocketRoute = this.api.addRoute(route.routeKey, {
        integration,
        authorizer: isConnect ? authorizer : undefined,
        returnResponse: route.returnResponse,
      });
      if (!isConnect) {
        Validations.of(webSocketRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'API Gateway runs WebSocket authorizers on $connect only: this route is reachable only on a connection whose ' +
            'token the $connect Lambda authorizer verified, and its handler acts for the identity recorded then.',
        });
      }
    }
    this.functions = functions;
  }

  /** The URL clients connect to, `wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}`. */
  public get url(): string {
    return this.stage.url;
  }
}
