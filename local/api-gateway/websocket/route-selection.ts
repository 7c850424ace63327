/**
 * WebSocket route selection: evaluates the API's route selection expression against a message and
 * picks the route, as API Gateway does. Pure; no server needed.
 */

// `\$` | `${request.body.path}` | `$request.body.path` | any other `$variable` (rejected).
const VARIABLE = /\\\$|\$\{request\.body((?:\.[A-Za-z0-9_$-]+)*)\}|\$request\.body((?:\.[A-Za-z0-9_-]+)*)|\$\{?[^}]*\}?/g;

// AWS: a non-string JSONPath result is stringified; arrays render as `[item1, item2]` (objects as JSON: guessed).
const stringify = (value: unknown): string => {
  if (value === undefined || value === null) return ''; // guessed for null; missing variables are documented as ""
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(stringify).join(', ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

const lookup = (root: unknown, path: string): unknown => {
  let current = root;
  for (const segment of path.split('.').filter((part) => part.length > 0)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
};

/**
 * Evaluates a WebSocket route selection expression (`$request.body.action`, `${request.body.a.b}-x`)
 * against a message; `undefined` when the body is not JSON. Only `request.body` variables exist
 * for route selection; any other variable throws (a configuration error).
 */
export const evaluateRouteSelectionExpression = (expression: string, body: string): string | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  return expression.replace(VARIABLE, (token: string, braced?: string, bare?: string) => {
    // AWS: `\$` escapes a dollar sign in selection expressions.
    if (token === '\\$') return '$';
    const path = braced ?? bare;
    if (path === undefined || path === '') throw new Error(`Unsupported route selection variable ${token} in ${expression}`);
    return stringify(lookup(json, path));
  });
};

/**
 * AWS (WSM-01): the route whose key equals the evaluated expression exactly (case-sensitive);
 * non-JSON bodies, missing properties and unknown keys fall back to `$default`; `undefined` when
 * there is no `$default` either. `$connect`/`$disconnect` are never selected by a message.
 */
export const selectRoute = (expression: string, body: string, routeKeys: ReadonlySet<string>): string | undefined => {
  const key = evaluateRouteSelectionExpression(expression, body);
  if (key !== undefined && key !== '$connect' && key !== '$disconnect' && key !== '$default' && routeKeys.has(key)) return key;
  return routeKeys.has('$default') ? '$default' : undefined;
};
