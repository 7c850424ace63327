/**
 * The `$connect` REQUEST authorizer's rules as API Gateway applies them (WSC-03, WSC-05): identity
 * sources checked before any invocation, the IAM policy judged (explicit Deny wins, then an Allow
 * on execute-api:Invoke for the method ARN), the context checked and stringified.
 */
import {
  authorizerFailure,
  evaluateAuthorizerResult,
  lacksIdentity,
  parseIdentitySource,
} from '../../../../local/api-gateway/websocket/authorizer-policy';

const ARN = 'arn:aws:execute-api:us-east-1:000000000000:local/local/$connect';

const statement = (Effect: string, Resource: unknown = ARN, Action: unknown = 'execute-api:Invoke') => ({ Effect, Action, Resource });
const output = (...Statement: unknown[]) => ({ principalId: 'u1', policyDocument: { Version: '2012-10-17', Statement } });

const allowed = { kind: 'allow', context: expect.any(Object) };
const denied = { kind: 'refuse', status: 403, message: 'Forbidden' };
const malformed = { kind: 'refuse', status: 500, message: 'Internal server error' };

describe('evaluateAuthorizerResult', () => {
  it.each([
    ['an Allow on the exact method ARN', output(statement('Allow'))],
    ['a single statement that is not in a list', { principalId: 'u1', policyDocument: { Statement: statement('Allow') } }],
    ['an Allow on a wildcard resource', output(statement('Allow', 'arn:aws:execute-api:*:*:local/*'))],
    [
      'an Allow with ? standing for one character',
      output(statement('Allow', 'arn:aws:execute-api:us-east-1:000000000000:loca?/local/$connect')),
    ],
    ['an Allow on execute-api:*', output(statement('Allow', ARN, 'execute-api:*'))],
    ['an action in another case', output(statement('Allow', ARN, 'Execute-API:invoke'))],
    [
      'lists of actions and resources',
      output(statement('Allow', ['arn:aws:execute-api:*:*:other/*', ARN], ['s3:GetObject', 'execute-api:Invoke'])),
    ],
    ['a Deny on another resource beside the Allow', output(statement('Deny', 'arn:aws:execute-api:*:*:other/*'), statement('Allow'))],
  ])('allows %s', (_case, result) => {
    expect(evaluateAuthorizerResult(result, ARN, 5)).toEqual(allowed);
  });

  it.each([
    ['an explicit Deny after an Allow', output(statement('Allow'), statement('Deny'))],
    ['an explicit Deny before an Allow', output(statement('Deny', '*'), statement('Allow'))],
    ['an Allow on another stage only', output(statement('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/prod/$connect'))],
    [
      'an Allow on the ARN in another case (resources are case-sensitive)',
      output(statement('Allow', ARN.replace('local/local', 'LOCAL/local'))),
    ],
    ['an Allow on another action only', output(statement('Allow', ARN, 'execute-api:ManageConnections'))],
    ['no statement at all', output()],
  ])('refuses with 403 for %s', (_case, result) => {
    expect(evaluateAuthorizerResult(result, ARN, 5)).toEqual(denied);
  });

  it.each([
    ['no output', undefined],
    ['a string', 'Allow'],
    ['no principalId', { policyDocument: { Statement: [statement('Allow')] } }],
    ['a numeric principalId', { principalId: 7, policyDocument: { Statement: [statement('Allow')] } }],
    ['no policyDocument', { principalId: 'u1' }],
    ['a statement that is not an object', output('Allow')],
    ['an Effect other than Allow or Deny', output(statement('allow'))],
    ['an Action that is neither a string nor a list', output(statement('Allow', ARN, 42))],
    ['a missing Resource', output({ Effect: 'Allow', Action: 'execute-api:Invoke' })],
    ['a context that is a list', { ...output(statement('Allow')), context: ['u1'] }],
    ['a context value that is an object', { ...output(statement('Allow')), context: { user: { id: 'u1' } } }],
  ])('answers 500 for malformed output: %s', (_case, result) => {
    expect(evaluateAuthorizerResult(result, ARN, 5)).toEqual(malformed);
  });

  it('passes the context with values stringified, null ones dropped, and principalId and integrationLatency added', () => {
    const result = { ...output(statement('Allow')), context: { userId: 'u1', n: 1, admin: false, gone: null } };

    expect(evaluateAuthorizerResult(result, ARN, 12)).toEqual({
      kind: 'allow',
      context: { userId: 'u1', n: '1', admin: 'false', principalId: 'u1', integrationLatency: 12 },
    });
  });
});

describe('lacksIdentity', () => {
  const sources = ['route.request.header.Authorization', 'route.request.querystring.token'].map(parseIdentitySource);

  it.each([
    ['every source present (header names in any case)', { authorization: 'Bearer x' }, '?token=t', false],
    ['a missing header', {}, '?token=t', true],
    ['an empty header', { authorization: '' }, '?token=t', true],
    ['a missing query parameter', { authorization: 'Bearer x' }, '?other=t', true],
    ['an empty query parameter', { authorization: 'Bearer x' }, '?token=', true],
    ['a query parameter in another case (query names are case-sensitive)', { authorization: 'Bearer x' }, '?Token=t', true],
  ])('with %s: %s', (_case, headers, query, expected) => {
    expect(lacksIdentity(sources, headers, new URLSearchParams(query))).toBe(expected);
  });
});

describe('parseIdentitySource', () => {
  it('reads header and query string sources', () => {
    expect(parseIdentitySource('route.request.header.Auth')).toEqual({ where: 'header', name: 'Auth' });
    expect(parseIdentitySource('route.request.querystring.token')).toEqual({ where: 'querystring', name: 'token' });
  });

  it.each(['stageVariables.key', 'context.requestId', 'route.request.body.token'])('refuses %s at start', (source) => {
    expect(() => parseIdentitySource(source)).toThrow(`Unsupported WebSocket authorizer identity source: ${source}`);
  });
});

describe('authorizerFailure', () => {
  it.each([
    ['an Error "Unauthorized"', new Error('Unauthorized'), 401],
    ['a thrown string "Unauthorized"', 'Unauthorized', 401],
    ['an Error "unauthorized" in another case', new Error('unauthorized'), 500],
    ['any other error', new Error('boom'), 500],
  ])('answers %s with %i', (_case, error, status) => {
    expect(authorizerFailure(error)).toMatchObject({ kind: 'refuse', status });
  });
});
