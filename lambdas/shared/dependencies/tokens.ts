/** The tokens capability (the signing key in Secrets Manager): issue and verify session tokens. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { JwtTokenService } from '../../adapters/jwt-token-service';
import { cachedSecret } from '../../adapters/secrets';
import type { TokenService } from '../../ports';
import { numberEnv, optionalEnv, requireEnv } from '../config';
import { DEFAULTS, ENV } from '../environment';
import { clock, once, SDK_CLIENT_DEFAULTS } from './core';

export const tokenService = once((): TokenService => {
  const secrets = new SecretsManagerClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.secretsManagerEndpoint) });
  const secret = cachedSecret(secrets, requireEnv(ENV.tokenSecretArn));
  const encoder = new TextEncoder();
  return new JwtTokenService(async () => encoder.encode(await secret()), {
    ttlSeconds: numberEnv(ENV.tokenTtlSeconds, DEFAULTS.tokenTtlSeconds),
    clock,
  });
});
