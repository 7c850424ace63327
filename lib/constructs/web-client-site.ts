import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import type { ClientTiming } from '../app-manifest';
import { wildcardArnFinding, wildcardResourceFinding } from './nag';

/** Props of {@link WebClientSite}. */
export interface WebClientSiteProps {
  /** The HTTP API stage the page calls: its URL goes into `config.js`, its API's origin into the CSP. */
  readonly httpStage: apigwv2.IHttpStage;
  /** The WebSocket stage the page connects to: its URL goes into `config.js`, its API's origin into the CSP. */
  readonly webSocketStage: apigwv2.IWebSocketStage;
  /** The timing the page heartbeats by and shows (as `GET /config` reports it); it goes into `config.js`. */
  readonly timing: ClientTiming;
  /** Absolute path of the repository root; the page is built from `web/` by `web/build.ts`. */
  readonly projectRoot: string;
  /**
   * What happens to the site and log buckets when they leave the stack. `DESTROY` also empties
   * them first (the page is rebuilt by every deploy; the logs go with a disposable stack).
   */
  readonly removalPolicy: RemovalPolicy;
  /**
   * How long S3 and CloudFront access logs are kept.
   * @default Duration.days(90)
   */
  readonly accessLogsExpiration?: Duration;
  /**
   * How long the deployment function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Builds the page into CDK's bundling folder with `buildWeb()` of web/build.ts, in a child Node
 * with tsx: asset bundling is synchronous and buildWeb is async (and TypeScript).
 */
const BUILD_WEB = 'require(process.argv[1]).buildWeb(process.argv[2]).catch((e) => { console.error(e.message); process.exitCode = 1; })';

const buildWebInto = (projectRoot: string, outputDir: string): true => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--eval', BUILD_WEB, path.join(projectRoot, 'web', 'build.ts'), outputDir],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  if (result.error !== undefined || result.status !== 0) {
    const detail = result.error?.message ?? result.stderr.trim();
    throw new Error(`Could not build the web client (web/build.ts) for the deployment: ${detail}`);
  }
  return true;
};

/** The page's configuration script; the URLs are deploy-time values, substituted by the deployment. */
const configScript = (httpUrl: string, wsUrl: string, timing: ClientTiming): string =>
  `window.PRESENCE_CONFIG = ${JSON.stringify({ httpUrl, wsUrl, ...timing })};\n`;

/**
 * The web client, served over HTTPS by CloudFront from a private S3 bucket (Origin Access
 * Control; the bucket is never public). Every deploy builds the page from `web/` (the built files
 * are never taken from a possibly stale `web/dist`), uploads it with a `config.js` naming this
 * stack's HTTP and WebSocket URLs, and invalidates the distribution. Responses carry security
 * headers, among them a CSP that lets the page connect to the two APIs and nowhere else. The
 * bucket's and the distribution's access logs go to a log bucket that expires them.
 */
export class WebClientSite extends Construct {
  /** The bucket holding the page. */
  public readonly bucket: s3.Bucket;
  /** The bucket receiving the S3 and CloudFront access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  /** The distribution serving the page. */
  public readonly distribution: cloudfront.Distribution;
  /** The security headers added to every response. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** The built page (everything but the deployment's `config.js`), built from `web/` at synth. */
  public readonly bundle: s3assets.Asset;
  /** The upload of the built page and its `config.js`. */
  public readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: WebClientSiteProps) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging delivers through an ACL grant, so ACLs cannot be disabled here.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: props.accessLogsExpiration ?? Duration.days(90) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: "Presence web client: CSP limited to this stack's APIs, HSTS, no framing, no sniffing",
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            `connect-src 'self' ${props.httpStage.api.apiEndpoint} ${props.webSocketStage.api.apiEndpoint}`,
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${Stack.of(this).stackName} web client`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      logBucket: this.accessLogsBucket,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'The presence service is offered worldwide; no country is excluded, so there is nothing to restrict.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves a few static, public files (GET/HEAD only, cached); the APIs the page calls are ' +
          'throttled per stage. A web ACL (about 6 USD a month plus requests) would protect nothing this stack holds.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses the default *.cloudfront.net certificate, with which CloudFront fixes the viewer ' +
          'security policy (TLSv1); a minimum of TLSv1.2 needs a custom domain and ACM certificate, which this stack does not have.',
      },
    );

    this.bundle = new s3assets.Asset(this, 'Bundle', {
      path: path.join(props.projectRoot, 'web'),
      // The bundle also depends on client/, outside this folder: hash what was built.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always builds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: { tryBundle: (outputDir) => buildWebInto(props.projectRoot, outputDir) },
      },
    });

    // File names carry no content hash, so every file is revalidated (a 304 when unchanged): a
    // deploy is visible at once, and config.js never outlives the URLs it names.
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [
        s3deploy.Source.bucket(this.bundle.bucket, this.bundle.s3ObjectKey),
        // After the bundle, whose own config.js (empty defaults) it replaces. jsonEscape: each
        // deploy-time value is written as the contents of a JSON string.
        s3deploy.Source.data('config.js', configScript(props.httpStage.url, props.webSocketStage.url, props.timing), { jsonEscape: true }),
      ],
      destinationBucket: this.bucket,
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      logGroup: new logs.LogGroup(this, 'DeploymentLogs', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.acknowledgeDeploymentFunction();
  }

  /** The page's URL, `https://{distribution domain}`. */
  public get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /**
   * The BucketDeployment's function is a CDK-owned singleton of the stack, its role's policy
   * written by CDK's grants: read of the staged sources, read-write of the site, invalidations.
   */
  private acknowledgeDeploymentFunction(): void {
    const fn = this.deployment.handlerRole.node.scope as IConstruct;
    const sync = 'The BucketDeployment function runs `aws s3 sync` from the staged sources to the site bucket; CDK grants it';
    const findings: [string | undefined, string][] = [
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "The BucketDeployment function's role, written by CDK: the managed policy only lets it write its own logs.",
      ],
      [
        'AwsSolutions-L1',
        "The BucketDeployment function is CDK's: its Python runtime is the one CDK builds and tests its handler and AWS CLI layer for.",
      ],
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', `${sync} object reads on the asset and site buckets only.`],
      ['AwsSolutions-IAM5[Action::s3:GetBucket*]', `${sync} bucket reads (location, versioning) on the asset and site buckets only.`],
      ['AwsSolutions-IAM5[Action::s3:List*]', `${sync} listings of the asset and site buckets only.`],
      ['AwsSolutions-IAM5[Action::s3:DeleteObject*]', `${sync} deletes on the site bucket only: files no longer built are pruned.`],
      ['AwsSolutions-IAM5[Action::s3:Abort*]', `${sync} aborting its own multipart uploads, on the site bucket only.`],
      [wildcardResourceFinding(this.bucket, 'Arn', '/*'), `${sync} every object of the site bucket: a deploy replaces the whole site.`],
      [
        wildcardArnFinding(this, this.bundle.bucket.arnForObjects('*')),
        `${sync} read of the bootstrap asset bucket, where the page and config.js are staged under content-hash keys.`,
      ],
      [
        'AwsSolutions-IAM5[Resource::*]',
        'cloudfront:CreateInvalidation and GetInvalidation, which CDK grants on "*"; the function invalidates the one ' +
          'distribution the custom resource names, and an invalidation only drops cached copies.',
      ],
    ];
    for (const [id, reason] of findings) {
      if (id !== undefined) Validations.of(fn).acknowledge({ id, reason });
    }
  }
}
