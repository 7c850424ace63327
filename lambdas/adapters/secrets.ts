import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret once per execution environment and keeps it in memory; concurrent first calls
 * share one request. A failed read is not cached, so the next invocation tries again.
 */
export const cachedSecret = (client: SecretsManagerClient, secretId: string): (() => Promise<string>) => {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= client.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      (output) => {
        if (output.SecretString === undefined || output.SecretString === '') throw new Error('The secret has no string value');
        return output.SecretString;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
};
