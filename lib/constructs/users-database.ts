import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DataApiDatabase } from './capabilities';

/**
 * Aurora PostgreSQL 16 with Serverless v2 auto-pause (0 ACU needs 16.3 or later) and the Data API
 * (16.1 or later). Minor upgrades are applied automatically in the maintenance window.
 */
export const USERS_DATABASE_ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_11;

/** Props of {@link UsersDatabase}. */
export interface UsersDatabaseProps {
  /**
   * Minimum capacity in ACUs; 0 lets the instance pause when idle (the first query then waits
   * for it to resume, typically 15 s).
   * @default 0
   */
  readonly minCapacity?: number;
  /**
   * Maximum capacity in ACUs (at least 1).
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * A Serverless v2 reader beside the writer, which RDS places in another Availability Zone: the
   * failover target if the writer's zone fails (a fail-over takes about a minute instead of a
   * new instance's ten or more). It scales with the writer (promotion tier 0-1).
   * @default false
   */
  readonly reader?: boolean;
  /**
   * How long the instance must be idle before it pauses (only when `minCapacity` is 0), 5 min to 24 h.
   * @default Duration.minutes(5)
   */
  readonly autoPauseAfter?: Duration;
  /**
   * The database created in the cluster.
   * @default 'presence'
   */
  readonly databaseName?: string;
  /**
   * What happens to the cluster when it leaves the stack.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether RDS refuses to delete the cluster.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The users database: an Aurora Serverless v2 PostgreSQL cluster reached only through the RDS Data
 * API (HTTPS, IAM-authorised), so no Lambda runs in its VPC. The VPC has isolated subnets only: no
 * NAT gateway, no internet gateway, nothing listening on the database port.
 */
export class UsersDatabase extends Construct implements DataApiDatabase {
  /** The cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** The generated master credentials the Data API connects with. */
  public readonly secret: secretsmanager.ISecret;
  /** The database the handlers query. */
  public readonly databaseName: string;
  /** The VPC the cluster lives in. */
  public readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: UsersDatabaseProps = {}) {
    super(scope, id);
    this.databaseName = props.databaseName ?? 'presence';
    const deletionProtection = props.deletionProtection ?? true;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      natGateways: 0,
      maxAzs: 2,
      subnetConfiguration: [{ name: 'Database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: true,
      // Only rejected flows: the VPC carries nothing but Aurora's own traffic, so this stays small.
      flowLogs: {
        Rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
          ),
        },
      },
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: USERS_DATABASE_ENGINE_VERSION }),
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true }),
      readers:
        props.reader === true ? [rds.ClusterInstance.serverlessV2('Reader', { autoMinorVersionUpgrade: true, scaleWithWriter: true })] : [],
      serverlessV2MinCapacity: props.minCapacity ?? 0,
      serverlessV2MaxCapacity: props.maxCapacity ?? 4,
      serverlessV2AutoPauseDuration: props.autoPauseAfter,
      enableDataApi: true,
      storageEncrypted: true,
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      defaultDatabaseName: this.databaseName,
      // The Data API accepts only SCRAM passwords on PostgreSQL 14 and later.
      parameters: { password_encryption: 'scram-sha-256' },
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      backup: { retention: Duration.days(7) },
      copyTagsToSnapshot: true,
      deletionProtection,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    });
    // biome-ignore lint/style/noNonNullAssertion: generated credentials always produce a secret
    this.secret = this.cluster.secret!;
    // A snapshot restore needs the master password: the secret stays as long as the data does
    // (the generated secret itself, not the `cluster.secret` attachment in front of it).
    if (props.removalPolicy !== RemovalPolicy.DESTROY)
      (this.cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(RemovalPolicy.RETAIN);

    Validations.of(this.cluster).acknowledge(
      {
        id: 'AwsSolutions-RDS6',
        reason:
          'Nothing connects to PostgreSQL directly: every client uses the Data API, which authorises the caller with ' +
          'IAM (rds-data actions on this cluster) and connects with the Secrets Manager credentials.',
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'The cluster sits in isolated subnets with no ingress rule and is only reached through the Data API, so ' +
          'there is no network path to the port to obscure.',
      },
    );
    // On the cluster, which owns the generated secret (this.secret is its attachment).
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation needs a rotation Lambda in the VPC and a Secrets Manager VPC endpoint (there is no NAT by design); ' +
        'the password never leaves Secrets Manager and only the Data API uses it. Planned with the operations work.',
    });
    if (!deletionProtection) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection is a prop; this stack was configured without it (retainData: false, disposable stacks).',
      });
    }
  }
}
