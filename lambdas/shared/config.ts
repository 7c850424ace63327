/**
 * Configuration read once, at cold start. A missing variable fails the cold start with a message
 * naming it, instead of an `undefined` surfacing later as a confusing SDK error.
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export const requireEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Missing required environment variable ${name}`);
  }
  return value;
};

export const optionalEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

export const numberEnv = (name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number => {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a non-negative number, got "${raw}"`);
  }
  return value;
};
