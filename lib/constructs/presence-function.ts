import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerSpec } from '../app-manifest';
import { HANDLER_BUNDLING } from '../handler-bundling';
import { type CapabilityResources, grantCapabilities, type PresenceSettings, settingsEnvironment } from './capabilities';

/** The runtime every handler runs on, pinned: `NODEJS_LATEST` moved to nodejs24.x in aws-cdk-lib 2.259. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** Props of {@link PresenceFunction}. */
export interface PresenceFunctionProps {
  /** The handler, as the app manifest declares it: entry, memory, timeout, capabilities. */
  readonly spec: HandlerSpec;
  /** Absolute path of the repository root: `spec.entry` and `package-lock.json` are resolved against it. */
  readonly projectRoot: string;
  /** Tunables passed to every handler as environment variables. */
  readonly settings: PresenceSettings;
  /** What the capabilities in `spec.uses` map to. */
  readonly resources: CapabilityResources;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * X-Ray active tracing: Lambda samples requests and records each invocation as a trace segment.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Description shown in the Lambda console.
   * @default - the entry path
   */
  readonly description?: string;
}

/**
 * One handler of the app manifest as a Lambda function: bundled locally with esbuild into a minified
 * ESM file (with the AWS SDK clients it uses, see HANDLER_BUNDLING), arm64, its own log group with a retention,
 * and a role that may write to that log group and do what the handler's capabilities grant.
 */
export class PresenceFunction extends Construct {
  /** The function. */
  public readonly function: nodejs.NodejsFunction;
  /** Where the function logs. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PresenceFunctionProps) {
    super(scope, id);
    const { spec, projectRoot } = props;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs are diagnostics, not data: they go with the stack (retainData covers data only).
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this function's log
    // group only, not create and write to any log group in the account.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${spec.entry}`,
    });
    this.logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, spec.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: props.description ?? spec.entry,
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup: this.logGroup,
      // Lambda's own lines (START, END, REPORT, uncaught errors) as JSON too, beside the handler's JSON lines.
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: props.tracing === true ? lambda.Tracing.ACTIVE : undefined,
      environment: settingsEnvironment(props.settings),
      bundling: {
        minify: HANDLER_BUNDLING.minify,
        sourceMap: true,
        // Stack traces need the mappings only; leaving the sources out keeps the asset small.
        sourcesContent: false,
        target: HANDLER_BUNDLING.target,
        format: nodejs.OutputFormat.ESM,
        mainFields: [...HANDLER_BUNDLING.mainFields],
        banner: HANDLER_BUNDLING.banner,
        // The SDK clients are bundled (faster cold start than the runtime's copy); see HANDLER_BUNDLING.
        externalModules: [...HANDLER_BUNDLING.externalModules],
      },
    });

    grantCapabilities(this.function, spec.uses, props.resources);

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Runtime pinned to nodejs22.x on purpose (supported until 2027-04-30): the bundle targets node22 and a ' +
        'runtime upgrade is a deliberate, tested change, not something a library default should do.',
    });
  }
}
