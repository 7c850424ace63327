/**
 * WebSocket route selection as API Gateway documents it (WSM-01): exact, case-sensitive match of the
 * evaluated route selection expression, `$default` for everything else.
 */
import { evaluateRouteSelectionExpression, selectRoute } from '../../../../local/api-gateway/websocket/route-selection';

const ACTION = '$request.body.action';
const withDefault = new Set(['heartbeat', 'subscribe', '5', 'true', '[a, b]', '$default']);
const withoutDefault = new Set(['heartbeat']);

describe('selectRoute', () => {
  it.each([
    ['a custom route by its exact key', '{"action":"heartbeat"}', 'heartbeat'],
    ['another custom route', '{"action":"subscribe","userIds":["1"]}', 'subscribe'],
    ['$default for a key in another case', '{"action":"Heartbeat"}', '$default'],
    ['$default for an unknown key', '{"action":"dance"}', '$default'],
    ['$default for a missing property', '{"type":"heartbeat"}', '$default'],
    ['$default for a body that is not JSON', 'heartbeat', '$default'],
    ['$default for an empty body', '', '$default'],
    ['$default for a JSON array body', '["heartbeat"]', '$default'],
    ['the stringified number', '{"action":5}', '5'],
    ['the stringified boolean', '{"action":true}', 'true'],
    ['an array rendered as [item1, item2]', '{"action":["a","b"]}', '[a, b]'],
    ['$default, never $connect, for a message naming it', '{"action":"$connect"}', '$default'],
  ])('selects %s', (_name, body, expected) => {
    expect(selectRoute(ACTION, body, withDefault)).toBe(expected);
  });

  it('finds no route when nothing matches and there is no $default', () => {
    expect(selectRoute(ACTION, '{"action":"dance"}', withoutDefault)).toBeUndefined();
    expect(selectRoute(ACTION, 'not json', withoutDefault)).toBeUndefined();
  });

  it('selects by a nested property', () => {
    expect(selectRoute('$request.body.meta.kind', '{"meta":{"kind":"heartbeat"}}', withDefault)).toBe('heartbeat');
  });
});

describe('evaluateRouteSelectionExpression', () => {
  it.each([
    ['a braced variable with literal text', '${request.body.version}-beta', '{"version":"2"}', '2-beta'],
    ['several variables', '${request.body.a}.${request.body.b}', '{"a":"x","b":1}', 'x.1'],
    ['a missing variable as an empty string', '${request.body.a}-x', '{}', '-x'],
    ['an escaped dollar sign', '\\$default', '{}', '$default'],
  ])('evaluates %s', (_name, expression, body, expected) => {
    expect(evaluateRouteSelectionExpression(expression, body)).toBe(expected);
  });

  it('cannot evaluate a body that is not JSON', () => {
    expect(evaluateRouteSelectionExpression(ACTION, '{oops')).toBeUndefined();
  });

  it('rejects variables other than request.body', () => {
    expect(() => evaluateRouteSelectionExpression('$request.header.x', '{}')).toThrow(/Unsupported route selection variable/);
  });
});
