import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEFAULTS } from '../../lib/app-manifest';
import type { PresenceStack } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { flatten, type Json, logicalIdOf } from './template';

/** Bundling is skipped: the page's asset points at web/ unbuilt (synth.test.ts builds it for real). */
let outdir: string;
let stack: PresenceStack;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'presence-web-'));
  ({ stack } = buildTestStack({ outdir }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

afterAll(() => {
  fs.rmSync(outdir, { recursive: true, force: true });
});

const propertiesOf = (construct: Parameters<typeof logicalIdOf>[0]): Json => resources[logicalIdOf(construct)].Properties;
const distributionConfig = (): Json => propertiesOf(stack.webClient.distribution).DistributionConfig;
/** The properties of the deployment's custom resource (the stack's only BucketDeployment). */
const deployment = (): Json => {
  const found = Object.values(resources).filter((resource) => resource.Type === 'Custom::CDKBucketDeployment');
  if (found.length !== 1) throw new Error(`Expected one Custom::CDKBucketDeployment, found ${found.length}`);
  return found[0].Properties;
};
/** A stack value (URL, origin) as `flatten` writes it: `https://<HttpApi…>.execute-api.<AWS::Region>…`. */
const flattened = (value: string): string => flatten(stack.resolve(value));

/** config.js as the deployment will write it: the staged file, its markers replaced by their values. */
const deployedConfigScript = (): string => {
  const { SourceObjectKeys: keys, SourceMarkers: markers } = deployment() as {
    SourceObjectKeys: string[];
    SourceMarkers: Record<string, unknown>[];
  };
  const index = markers.findIndex((sourceMarkers) => Object.keys(sourceMarkers).length > 0);
  const staged = fs.readFileSync(path.join(outdir, `asset.${keys[index].replace(/\.zip$/, '')}`, 'config.js'), 'utf8');
  return Object.entries(markers[index]).reduce((text, [marker, value]) => text.replaceAll(marker, flatten(value)), staged);
};

describe('site bucket', () => {
  it('blocks every kind of public access', () => {
    expect(propertiesOf(stack.webClient.bucket).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('encrypts objects at rest with S3-managed keys', () => {
    expect(propertiesOf(stack.webClient.bucket).BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(stack.webClient.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets only this distribution read it, through CloudFront', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(stack.webClient.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('writes its server access logs to the log bucket', () => {
    expect(propertiesOf(stack.webClient.bucket).LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalIdOf(stack.webClient.accessLogsBucket) },
      LogFilePrefix: 's3/',
    });
  });

  it('is kept, with its logs, when the stack keeps its data (the default)', () => {
    const buckets = [stack.webClient.bucket, stack.webClient.accessLogsBucket].map((bucket) => resources[logicalIdOf(bucket)]);
    expect(buckets.map((bucket) => [bucket.DeletionPolicy, bucket.UpdateReplacePolicy])).toEqual([
      ['Retain', 'Retain'],
      ['Retain', 'Retain'],
    ]);
  });
});

describe('distribution', () => {
  it('reads the bucket with Origin Access Control, not an origin access identity', () => {
    expect(distributionConfig().Origins).toEqual([
      expect.objectContaining({
        DomainName: { 'Fn::GetAtt': [logicalIdOf(stack.webClient.bucket), 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [expect.any(String), 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ]);
  });

  it('redirects HTTP to HTTPS', () => {
    expect(distributionConfig().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('serves index.html at the root', () => {
    expect(distributionConfig().DefaultRootObject).toBe('index.html');
  });

  it('adds the security headers policy to every response', () => {
    expect(distributionConfig().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({
      Ref: logicalIdOf(stack.webClient.responseHeadersPolicy),
    });
  });

  it('writes its access logs to the log bucket', () => {
    expect(distributionConfig().Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [logicalIdOf(stack.webClient.accessLogsBucket), 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
    });
  });
});

describe('security headers', () => {
  const csp = (): string =>
    flatten(
      propertiesOf(stack.webClient.responseHeadersPolicy).ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy
        .ContentSecurityPolicy,
    );

  it("lets the page connect to this stack's HTTP and WebSocket APIs only", () => {
    const apis = [flattened(stack.httpApi.api.apiEndpoint), flattened(stack.webSocketApi.api.apiEndpoint)];
    expect(csp()).toContain(`connect-src 'self' ${apis.join(' ')};`);
  });

  it('runs scripts from the site only (no inline script, no eval)', () => {
    expect(csp()).toContain("script-src 'self';");
  });

  it('forbids framing the page', () => {
    expect(csp()).toContain("frame-ancestors 'none'");
  });

  it('tells browsers to use HTTPS only, for a year', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: { StrictTransportSecurity: { AccessControlMaxAgeSec: 31_536_000, Override: true } },
      },
    });
  });
});

describe('deployment', () => {
  it('writes config.js with the HTTP API and WebSocket URLs and the timing of this stack', () => {
    const config = JSON.stringify({
      httpUrl: flattened(stack.httpApi.url),
      wsUrl: flattened(stack.webSocketApi.url),
      heartbeatSeconds: DEFAULTS.heartbeatSeconds,
      leaseSeconds: DEFAULTS.leaseSeconds,
      offlineGraceSeconds: DEFAULTS.graceSeconds,
    });
    expect(deployedConfigScript()).toBe(`window.PRESENCE_CONFIG = ${config};\n`);
  });

  it('uploads config.js after the built page, so it replaces the build default', () => {
    expect(deployment().SourceObjectKeys).toEqual([stack.webClient.bundle.s3ObjectKey, expect.any(String)]);
  });

  it('escapes the substituted URLs as JSON string contents', () => {
    expect(deployment().SourceMarkersConfig).toEqual([{}, { jsonEscape: true }]);
  });

  it('has every file, config.js included, revalidated by browsers (Cache-Control: no-cache)', () => {
    expect(deployment().SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
  });

  it('uploads into the site bucket and invalidates the whole distribution', () => {
    expect(deployment()).toMatchObject({
      DestinationBucketName: { Ref: logicalIdOf(stack.webClient.bucket) },
      DistributionId: { Ref: logicalIdOf(stack.webClient.distribution) },
      DistributionPaths: ['/*'],
    });
  });
});

it('outputs the page URL as WebClientUrl', () => {
  template.hasOutput('WebClientUrl', {
    Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(stack.webClient.distribution), 'DomainName'] }]] },
  });
});

describe('in a disposable stack (retainData: false)', () => {
  let disposableStack: PresenceStack;
  let disposable: Template;
  const buckets = () => [disposableStack.webClient.bucket, disposableStack.webClient.accessLogsBucket].map(logicalIdOf);

  beforeAll(() => {
    ({ stack: disposableStack } = buildTestStack({ props: { retainData: false } }));
    disposable = Template.fromStack(disposableStack);
  });

  it('deletes the site and log buckets with the stack', () => {
    const policies = buckets().map((id) => disposable.toJSON().Resources[id].DeletionPolicy);
    expect(policies).toEqual(['Delete', 'Delete']);
  });

  it('empties the site and log buckets before deleting them', () => {
    const emptied = Object.values(disposable.findResources('Custom::S3AutoDeleteObjects')).map(
      (resource) => resource.Properties.BucketName.Ref,
    );
    expect(emptied.sort()).toEqual(buckets().sort());
  });
});
