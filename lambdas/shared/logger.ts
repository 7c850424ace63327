/**
 * Structured JSON logs through Powertools' Logger: one JSON object per line, carrying the Lambda
 * context (`function_request_id`, `cold_start`, `function_name`, ...) once `injectLambdaContext`
 * ran, and the correlation keys the observability middleware appends (API Gateway `requestId`,
 * `connectionId`, `userId`, `route`). Fields whose names look secret are redacted, in the fields a
 * call passes and in every appended key, so a token or password can never reach a log by accident.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { optionalEnv } from './config';
import { ENV } from './environment';
import { serviceName } from './metrics';

type Fields = Record<string, unknown>;

const SECRET_KEY = /pass|token|secret|authorization|cookie|signing/i;
const REDACTED = '[redacted]';

const redact = (value: unknown, depth = 0): unknown => {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1)]));
};

/** The same rule at serialisation, for keys appended by any route (and nested ones redact missed). */
const replacer = (key: string, value: unknown): unknown => (key !== '' && SECRET_KEY.test(key) ? REDACTED : value);

/** The Powertools instance, for its middy middleware (`injectLambdaContext`). */
export const powertoolsLogger = new Logger({
  serviceName: serviceName(),
  // Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL), when set, take precedence over this.
  logLevel: (optionalEnv(ENV.logLevel) ?? 'info').toUpperCase() as 'INFO',
  jsonReplacerFn: replacer,
});

export const logger = {
  debug: (message: string, fields?: Fields) => powertoolsLogger.debug(message, redact(fields ?? {}) as Fields),
  info: (message: string, fields?: Fields) => powertoolsLogger.info(message, redact(fields ?? {}) as Fields),
  warn: (message: string, fields?: Fields) => powertoolsLogger.warn(message, redact(fields ?? {}) as Fields),
  error: (message: string, fields?: Fields) => powertoolsLogger.error(message, redact(fields ?? {}) as Fields),
  /** Adds keys to every later line of this invocation (the middleware clears them at its end). */
  appendKeys: (fields: Fields) => powertoolsLogger.appendKeys(redact(fields) as Fields),
};
