import { Match, Template } from 'aws-cdk-lib/assertions';
import { websocketAuthorizer, websocketRouteSelectionExpression, websocketRoutes } from '../../lib/app-manifest';
import type { PresenceStack } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { flatten, functionNamed, type Json, logicalIdOf } from './template';

let stack: PresenceStack;
let template: Template;
let resources: Record<string, Json>;
let apiId: string;

beforeAll(() => {
  ({ stack } = buildTestStack());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  apiId = logicalIdOf(stack.webSocketApi.api);
});

/** Resources of a type that belong to the WebSocket API, keyed by logical id. */
const ofApi = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type && r.Properties.ApiId?.Ref === apiId);

const routeNamed = (routeKey: string): Json | undefined =>
  ofApi('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey)?.[1];

it('selects the route of a frame by its action', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
    ProtocolType: 'WEBSOCKET',
    RouteSelectionExpression: websocketRouteSelectionExpression,
  });
});

it('has exactly one route per manifest route key', () => {
  const routeKeys = ofApi('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
  expect(routeKeys.sort()).toEqual(websocketRoutes.map((route) => route.routeKey).sort());
});

it.each(websocketRoutes.map((route) => [route.routeKey, route.handler]))('routes %s to the %s function', (routeKey, handler) => {
  const integrationId = (routeNamed(routeKey)?.Properties.Target['Fn::Join'][1][1].Ref ?? '') as string;
  expect(resources[integrationId]?.Properties.IntegrationUri['Fn::Join'][1]).toContainEqual({
    'Fn::GetAtt': [logicalIdOf(functionNamed(stack, handler)), 'Arn'],
  });
});

it('guards $connect with the Lambda authorizer reading the token from the query string', () => {
  const route = routeNamed('$connect')?.Properties;
  const authorizer = resources[route?.AuthorizerId?.Ref]?.Properties;
  expect({
    authorizationType: route?.AuthorizationType,
    authorizerType: authorizer?.AuthorizerType,
    identitySource: authorizer?.IdentitySource,
    authorizerFunction: /\/functions\/<(\w+)\.Arn>\/invocations$/.exec(flatten(authorizer?.AuthorizerUri))?.[1],
  }).toEqual({
    authorizationType: 'CUSTOM',
    authorizerType: 'REQUEST',
    identitySource: [...websocketAuthorizer.identitySource],
    authorizerFunction: logicalIdOf(functionNamed(stack, websocketAuthorizer.handler)),
  });
});

it('replies with the handler response exactly on the routes declared with returnResponse', () => {
  const routeKeyOf = Object.fromEntries(ofApi('AWS::ApiGatewayV2::Route').map(([id, r]) => [id, r.Properties.RouteKey as string]));
  const replying = ofApi('AWS::ApiGatewayV2::RouteResponse')
    .filter(([, r]) => r.Properties.RouteResponseKey === '$default')
    .map(([, r]) => routeKeyOf[r.Properties.RouteId.Ref]);
  expect(replying.sort()).toEqual(
    websocketRoutes
      .filter((route) => route.returnResponse)
      .map((route) => route.routeKey)
      .sort(),
  );
});

it('sends no reply on $connect and $disconnect', () => {
  const silent = ['$connect', '$disconnect'].map((routeKey) => routeNamed(routeKey)?.Properties.RouteResponseSelectionExpression);
  expect(silent).toEqual([undefined, undefined]);
});

it('auto-deploys the live stage, throttled with the default limits', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    ApiId: { Ref: apiId },
    StageName: 'live',
    AutoDeploy: true,
    DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
  });
});

it('writes no stage access logs by default (they need an account-wide role the stack does not own)', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { ApiId: { Ref: apiId }, AccessLogSettings: Match.absent() });
});

it('writes access logs of the stage, with the connection id, to a log group when asked to', () => {
  const withLogs = Template.fromStack(buildTestStack({ props: { webSocketAccessLogs: true } }).stack);

  withLogs.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    StageName: 'live',
    AccessLogSettings: {
      DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      Format: Match.stringLikeRegexp('\\$context\\.connectionId'),
    },
  });
});

it('outputs the wss:// URL of the stage as WebSocketUrl', () => {
  template.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['wss://', { Ref: apiId }])] } });
});
