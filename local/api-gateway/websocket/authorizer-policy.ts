/**
 * The `$connect` Lambda REQUEST authorizer's rules, without the server: which identity sources it
 * reads, when API Gateway refuses without invoking it, and how its IAM policy output is judged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocketAuthorizerContext } from './events';

export type AuthorizerOutcome =
  | { readonly kind: 'allow'; readonly context: WebSocketAuthorizerContext }
  | { readonly kind: 'refuse'; readonly status: number; readonly message: string };

export interface IdentitySource {
  readonly where: 'header' | 'querystring';
  readonly name: string;
}

export const parseIdentitySource = (source: string): IdentitySource => {
  const match = /^route\.request\.(header|querystring)\.(.+)$/.exec(source);
  // Knowingly skipped: `stageVariables.*` and `context.*` identity sources (unused by this project).
  if (match === null) throw new Error(`Unsupported WebSocket authorizer identity source: ${source}`);
  return { where: match[1] as IdentitySource['where'], name: match[2] };
};

// IAM wildcards: `*` is any run of characters (slashes included), `?` is one character.
const globMatches = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
};

const asList = (value: unknown): unknown[] | undefined => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value;
  return undefined;
};

const refuse = (status: number, message: string): AuthorizerOutcome => ({ kind: 'refuse', status, message });
const malformed = refuse(500, 'Internal server error');

/** AWS: an explicit Deny wins, then an Allow on `execute-api:Invoke` for the method ARN; no matching statement is a Deny. */
export const evaluateAuthorizerResult = (result: unknown, methodArn: string, latencyMs: number): AuthorizerOutcome => {
  if (typeof result !== 'object' || result === null) return malformed;
  const { principalId, policyDocument, context } = result as {
    principalId?: unknown;
    policyDocument?: { Statement?: unknown };
    context?: unknown;
  };
  // AWS: output without a principalId or policy is an authorizer configuration error: 500.
  if (typeof principalId !== 'string' || typeof policyDocument !== 'object' || policyDocument === null) return malformed;
  const statements = Array.isArray(policyDocument.Statement) ? policyDocument.Statement : [policyDocument.Statement];
  let allowed = false;
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null) return malformed;
    const { Effect, Action, Resource } = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    const actions = asList(Action);
    const resources = asList(Resource);
    if ((Effect !== 'Allow' && Effect !== 'Deny') || actions === undefined || resources === undefined) return malformed;
    const applies =
      actions.some((action) => typeof action === 'string' && globMatches(action, 'execute-api:Invoke', true)) &&
      resources.some((resource) => typeof resource === 'string' && globMatches(resource, methodArn, false));
    if (applies && Effect === 'Deny') return refuse(403, 'Forbidden');
    if (applies) allowed = true;
  }
  if (!allowed) return refuse(403, 'Forbidden');
  const values: Record<string, string | number> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== 'object' || Array.isArray(context)) return malformed;
    for (const [key, value] of Object.entries(context)) {
      if (value === null) continue;
      // AWS: context values must be string, number or boolean; objects and arrays make the output invalid.
      if (typeof value === 'object') return malformed;
      // AWS [VERIFY]: numbers and booleans are stringified here so handlers must parse them (REST proxy does so).
      values[key] = String(value);
    }
  }
  // AWS: Lambda proxy integrations receive the context together with principalId and integrationLatency.
  return { kind: 'allow', context: { ...values, principalId, integrationLatency: latencyMs } };
};

/** AWS: every identity source must be present and non-empty, or the answer is 401 without invoking the authorizer. */
export const lacksIdentity = (sources: readonly IdentitySource[], headers: IncomingHttpHeaders, query: URLSearchParams): boolean =>
  sources.some(({ where, name }) => {
    const value = where === 'header' ? headers[name.toLowerCase()] : query.get(name);
    return value === undefined || value === null || value.length === 0;
  });

export const unauthorized = refuse(401, 'Unauthorized');

/** AWS: an authorizer failing with the literal "Unauthorized" is a 401; any other failure is a 500. */
export const authorizerFailure = (error: unknown): AuthorizerOutcome => {
  const message = error instanceof Error ? error.message : String(error);
  return message === 'Unauthorized' ? unauthorized : malformed;
};
