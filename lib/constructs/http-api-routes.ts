import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerName, HandlerSpec, HttpRouteSpec } from '../app-manifest';
import { PresenceFunction, type PresenceFunctionProps } from './presence-function';

/** Request limits, for the whole stage or one route. */
export interface HttpApiThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

/** Props of {@link HttpApiRoutes}. */
export interface HttpApiRoutesProps extends Omit<PresenceFunctionProps, 'spec' | 'description'> {
  /** The routes (`httpRoutes` in the app manifest): one API Gateway route each, nothing else. */
  readonly routes: readonly HttpRouteSpec[];
  /** The handlers the routes name (`handlers` in the app manifest); one function per handler used. */
  readonly handlers: Readonly<Record<HandlerName, HandlerSpec>>;
  /** Default-stage throttling. */
  readonly throttle: HttpApiThrottle;
  /**
   * Tighter limits for some routes, by route key (`POST /sessions`): API Gateway refuses requests
   * over them with 429 before any Lambda runs.
   * @default - the stage's limits only
   */
  readonly routeThrottles?: Readonly<Record<string, HttpApiThrottle>>;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * One JSON object per request. `requestId` is the `requestContext.requestId` of the handler's event,
 * which every handler log line carries as `requestId` (lambdas/middleware/observability.ts), and
 * the `apigw-requestid` response header a client can quote.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The public HTTP API of the contract: an API Gateway HTTP API with one explicit route per
 * contract entry (no `$default`, no `{proxy+}`: unknown paths get API Gateway's 404 and run no
 * Lambda), each integrated with its handler's function. CORS preflight is answered by API Gateway;
 * the `$default` stage is throttled and writes JSON access logs.
 */
export class HttpApiRoutes extends Construct {
  /** The API. */
  public readonly api: apigwv2.HttpApi;
  /** The `$default` stage. */
  public readonly stage: apigwv2.HttpStage;
  /** The functions, by handler name (only handlers some route uses). */
  public readonly functions: ReadonlyMap<HandlerName, PresenceFunction>;

  constructor(scope: Construct, id: string, props: HttpApiRoutesProps) {
    super(scope, id);
    const { routes, handlers, throttle, routeThrottles = {}, accessLogRetention, ...functionProps } = props;
    const methods = [...new Set(routes.map((route) => route.method))];

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-http`,
      description: 'Presence service HTTP API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: ['*'],
        allowHeaders: ['authorization', 'content-type'],
        allowMethods: methods.map((method) => apigwv2.CorsHttpMethod[method]),
        maxAge: Duration.hours(1),
      },
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const functions = new Map<HandlerName, PresenceFunction>();
    const integrations = new Map<HandlerName, HttpLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.handler);
      if (integration === undefined) {
        const fn = new PresenceFunction(this, route.handler, { ...functionProps, spec: handlers[route.handler] });
        functions.set(route.handler, fn);
        integration = new HttpLambdaIntegration(`${route.handler}Integration`, fn.function);
        integrations.set(route.handler, integration);
      }
      for (const httpRoute of this.api.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration })) {
        // A stage naming a route in its RouteSettings fails to deploy unless the route exists first.
        if (routeThrottles[`${route.method} ${route.path}`] !== undefined) this.stage.node.addDependency(httpRoute);
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'The handler authenticates: every route but POST /users, POST /sessions and GET /health (public by contract) ' +
            'verifies the HS256 bearer token the service issues. API Gateway JWT authorizers need an OIDC issuer with ' +
            'JWKS, and a Lambda authorizer would add a second invocation per request for the same check.',
        });
      }
    }
    this.functions = functions;

    const known = new Set(routes.map((route) => `${route.method} ${route.path}`));
    for (const routeKey of Object.keys(routeThrottles)) {
      if (!known.has(routeKey)) throw new Error(`routeThrottles names "${routeKey}", which is not a route of this API`);
    }
    if (Object.keys(routeThrottles).length > 0) {
      // RouteSettings is a plain JSON map in the L1 (no property renaming): CloudFormation's names as they are.
      (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = Object.fromEntries(
        Object.entries(routeThrottles).map(([routeKey, limits]) => [
          routeKey,
          { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit },
        ]),
      );
    }
  }

  /** The API's base URL, `https://{api-id}.execute-api.{region}.amazonaws.com/`. */
  public get url(): string {
    return this.stage.url;
  }
}
