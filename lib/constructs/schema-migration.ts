import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CustomResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import type { HandlerSpec } from '../app-manifest';
import { wildcardResourceFinding } from './nag';
import { PresenceFunction, type PresenceFunctionProps } from './presence-function';

/** Props of {@link SchemaMigration}. */
export interface SchemaMigrationProps extends Omit<PresenceFunctionProps, 'spec' | 'description'> {
  /** The migration handler (`deployHandlers.migrate`): a custom-resource `onEvent` handler using `database`. */
  readonly spec: HandlerSpec;
  /** What must exist before migrations run: the database cluster, writer instance included. */
  readonly after: IConstruct;
  /**
   * Files or folders, relative to `projectRoot`, whose contents define the migrations; the
   * custom resource changes, and so re-runs, whenever they do. Missing paths are ignored.
   * @default ['lambdas/adapters/migrations.ts', 'db/migrations']
   */
  readonly migrationSources?: readonly string[];
}

const DEFAULT_MIGRATION_SOURCES = ['lambdas/adapters/migrations.ts', 'db/migrations'];

const filesUnder = (absolute: string): string[] =>
  fs.statSync(absolute).isDirectory()
    ? fs
        .readdirSync(absolute)
        .sort()
        .flatMap((child) => filesUnder(path.join(absolute, child)))
    : [absolute];

/** A digest of the migration sources that exist, or a constant when there are none. */
export const migrationsHash = (projectRoot: string, sources: readonly string[]): string => {
  const files = sources
    .map((source) => path.join(projectRoot, source))
    .filter((absolute) => fs.existsSync(absolute))
    .flatMap(filesUnder);
  if (files.length === 0) return 'no-migrations';
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(projectRoot, file).split(path.sep).join('/')).update('\0');
    hash.update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
};

/**
 * Applies the users-database migrations during every deploy that changes them, after the cluster
 * exists: a custom resource (Provider framework) whose `onEvent` Lambda runs the migration handler
 * through the Data API. A failing migration fails, and rolls back, the deploy.
 */
export class SchemaMigration extends Construct {
  /** The migration handler. */
  public readonly handler: PresenceFunction;
  /** The custom resource; its `MigrationsHash` property is what triggers a re-run. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaMigrationProps) {
    super(scope, id);
    this.handler = new PresenceFunction(this, 'Handler', { ...props, description: 'Applies the users database migrations' });

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    // The framework function is CDK's own plumbing: it only relays the CloudFormation event.
    Validations.of(provider).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "The custom-resource Provider framework's own function role; it only writes its logs and invokes the migration handler.",
    });
    const invokeVersions = wildcardResourceFinding(this.handler.function, 'Arn', ':*');
    if (invokeVersions !== undefined) {
      Validations.of(provider).acknowledge({
        id: invokeVersions,
        reason: 'The Provider framework may invoke any version or alias (`:*`) of the migration handler, and nothing else.',
      });
    }

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SchemaMigration',
      properties: { MigrationsHash: migrationsHash(props.projectRoot, props.migrationSources ?? DEFAULT_MIGRATION_SOURCES) },
    });
    this.resource.node.addDependency(props.after);
  }
}
