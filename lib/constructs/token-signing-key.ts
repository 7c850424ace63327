import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Props of {@link TokenSigningKey}. */
export interface TokenSigningKeyProps {
  /**
   * What happens to the key when it leaves the stack. Kept with the data: a new key invalidates
   * every issued token, and a stack recreated over retained tables would log every user out.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The key that signs and verifies the service's bearer tokens (HS256): a Secrets Manager secret
 * whose SecretString is 64 random alphanumeric characters, generated at deploy and never in the
 * template. Handlers with the `tokens` capability read it once per cold start.
 */
export class TokenSigningKey extends Construct {
  /** The secret holding the key. */
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: TokenSigningKeyProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'HS256 key signing the presence service bearer tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating an HMAC key invalidates every issued token at once; rotation needs key ids in tokens and a ' +
        'verify-with-previous-key window in the handlers first. Planned, not automatic.',
    });
  }
}
