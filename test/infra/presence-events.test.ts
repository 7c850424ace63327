import { Template } from 'aws-cdk-lib/assertions';
import { queues, schedules, streamConsumers } from '../../lib/app-manifest';
import type { PresenceStack } from '../../lib/presence-stack';
import { buildTestStack } from './app';
import { functionNamed, type Json, logicalIdOf, permissionsOf } from './template';

let stack: PresenceStack;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  ({ stack } = buildTestStack());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const [notifier, recorder] = streamConsumers;
const grace = queues.grace;
const [sweeper] = schedules;

const ofType = (type: string): Json[] => Object.values(resources).filter((r) => r.Type === type);

/** The event source mapping that feeds a function, by manifest handler name. */
const mappingOf = (handler: string): Json | undefined =>
  ofType('AWS::Lambda::EventSourceMapping').find((m) => m.Properties.FunctionName.Ref === logicalIdOf(functionNamed(stack, handler)))
    ?.Properties;

const functionPropertiesOf = (handler: string): Json => resources[logicalIdOf(functionNamed(stack, handler))].Properties;
const graceQueueId = (): string => logicalIdOf(stack.graceQueue.queue);
const notifierFailuresId = (): string => logicalIdOf(stack.events.streamFailures.get(notifier.handler)!);

describe('stream notifier', () => {
  it('reads the presence table stream from the latest record', () => {
    const mapping = mappingOf(notifier.handler);
    expect({ source: mapping?.EventSourceArn, start: mapping?.StartingPosition }).toEqual({
      source: { 'Fn::GetAtt': [logicalIdOf(stack.tables.presence), 'StreamArn'] },
      start: 'LATEST',
    });
  });

  it('reads batches of the manifest size without waiting to fill them', () => {
    const mapping = mappingOf(notifier.handler);
    expect({ size: mapping?.BatchSize, window: mapping?.MaximumBatchingWindowInSeconds }).toEqual({
      size: notifier.batchSize,
      window: notifier.maxBatchingWindowSeconds,
    });
  });

  it('reports failures per record', () => {
    expect(mappingOf(notifier.handler)?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('splits a failing batch to isolate a poison record', () => {
    expect(mappingOf(notifier.handler)?.BisectBatchOnFunctionError).toBe(true);
  });

  it('gives up on a record after the manifest retries', () => {
    expect(mappingOf(notifier.handler)?.MaximumRetryAttempts).toBe(notifier.retryAttempts);
  });

  it('gives up on a record older than the manifest maximum age', () => {
    expect(mappingOf(notifier.handler)?.MaximumRecordAgeInSeconds).toBe(notifier.maxRecordAgeSeconds);
  });

  it('processes each shard with the manifest parallelization factor', () => {
    expect(mappingOf(notifier.handler)?.ParallelizationFactor).toBe(notifier.parallelizationFactor);
  });

  it('is invoked only for records matching the manifest filter', () => {
    expect(mappingOf(notifier.handler)?.FilterCriteria).toEqual({
      Filters: notifier.filters.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
    });
  });

  it('records batches it gives up on in its failure queue', () => {
    expect(mappingOf(notifier.handler)?.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [notifierFailuresId(), 'Arn'] } },
    });
  });

  it('encrypts its failure queue', () => {
    expect(resources[notifierFailuresId()].Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('alarms as soon as its failure queue holds a message', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [notifierFailuresId(), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when it falls more than 5 s behind the stream', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(functionNamed(stack, notifier.handler)) } }],
      Threshold: 5000,
    });
  });
});

describe('last-seen recorder', () => {
  it('reads the same stream as the notifier, on its own mapping', () => {
    expect(mappingOf(recorder.handler)?.EventSourceArn).toEqual(mappingOf(notifier.handler)?.EventSourceArn);
  });

  it('is invoked only for offline changes', () => {
    expect(mappingOf(recorder.handler)?.FilterCriteria).toEqual({
      Filters: [
        {
          Pattern: JSON.stringify({
            dynamodb: { NewImage: { change: { M: { status: { S: ['offline'] }, lastSeen: { N: [{ exists: true }] } } } } },
          }),
        },
      ],
    });
  });

  it('gives up on no record before the stream drops it (24 h), retrying up to the maximum', () => {
    const mapping = mappingOf(recorder.handler);
    expect({ retries: mapping?.MaximumRetryAttempts, age: mapping?.MaximumRecordAgeInSeconds }).toEqual({ retries: 10_000, age: 86_400 });
  });

  it('alarms only when it falls minutes behind (an Aurora resume takes seconds)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(functionNamed(stack, recorder.handler)) } }],
      Threshold: 300_000,
    });
  });
});

describe('grace queue', () => {
  it('encrypts messages at rest', () => {
    expect(resources[graceQueueId()].Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('hides a received message for the manifest visibility timeout', () => {
    expect(resources[graceQueueId()].Properties.VisibilityTimeout).toBe(grace.visibilityTimeoutSeconds);
  });

  it('moves a message to its dead-letter queue after the manifest receive count', () => {
    expect(resources[graceQueueId()].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(stack.graceQueue.deadLetterQueue), 'Arn'] },
      maxReceiveCount: grace.maxReceiveCount,
    });
  });

  it('feeds graceExpired in batches of the manifest size, with failures reported per message', () => {
    const mapping = mappingOf(grace.handler);
    expect({ source: mapping?.EventSourceArn, size: mapping?.BatchSize, responses: mapping?.FunctionResponseTypes }).toEqual({
      source: { 'Fn::GetAtt': [graceQueueId(), 'Arn'] },
      size: grace.batchSize,
      responses: ['ReportBatchItemFailures'],
    });
  });
});

describe.each(['fanOut', 'deliveryRetry', 'sweep'] as const)('%s queue', (name) => {
  const spec = queues[name];
  const workQueue = () => (name === 'sweep' ? stack.sweepQueue : stack.deliveryQueues[name]);
  const queueId = (): string => logicalIdOf(workQueue().queue);

  it('hides a received message for at least 6x its consumer timeout, as AWS advises for Lambda event sources', () => {
    const timeout = functionPropertiesOf(spec.handler).Timeout as number;
    expect(resources[queueId()].Properties.VisibilityTimeout).toBe(spec.visibilityTimeoutSeconds);
    expect(spec.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('moves a message to its dead-letter queue after the manifest receive count, and alarms on the first one there', () => {
    const deadLetters = logicalIdOf(workQueue().deadLetterQueue);
    expect(resources[queueId()].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] },
      maxReceiveCount: spec.maxReceiveCount,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetters, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('feeds its consumer in batches of the manifest size, at most the manifest concurrency, failures per message', () => {
    const mapping = mappingOf(spec.handler);
    expect({
      source: mapping?.EventSourceArn,
      size: mapping?.BatchSize,
      responses: mapping?.FunctionResponseTypes,
      concurrency: mapping?.ScalingConfig,
    }).toEqual({
      source: { 'Fn::GetAtt': [queueId(), 'Arn'] },
      size: spec.batchSize,
      responses: ['ReportBatchItemFailures'],
      concurrency: { MaximumConcurrency: spec.maxConcurrency },
    });
  });
});

describe('queues', () => {
  it('refuses requests without TLS on every queue', () => {
    const guarded = ofType('AWS::SQS::QueuePolicy')
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as Json[]).some(
          (statement) => statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      )
      .flatMap((policy) => (policy.Properties.Queues as Json[]).map((queue) => queue.Ref as string));
    const all = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(guarded.sort()).toEqual(all.sort());
  });
});

describe('sweeper', () => {
  it('runs the planner (sweep) on the manifest schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: sweeper.everyMinutes === 1 ? 'rate(1 minute)' : `rate(${sweeper.everyMinutes} minutes)`,
      Targets: [{ Arn: { 'Fn::GetAtt': [logicalIdOf(functionNamed(stack, sweeper.handler)), 'Arn'] }, Id: 'Target0' }],
    });
  });

  it('does not retry a failed sweep (the next one covers the same ground)', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(functionNamed(stack, sweeper.handler)) },
      MaximumRetryAttempts: 0,
    });
  });

  it('lets the planner send to the sweep queue and nothing else (no table, no @connections)', () => {
    const planner = functionNamed(stack, sweeper.handler);
    expect(permissionsOf(resources, planner).filter(({ action }) => !action.startsWith('logs:'))).toEqual([
      { action: 'sqs:GetQueueAttributes', resource: { 'Fn::GetAtt': [logicalIdOf(stack.sweepQueue.queue), 'Arn'] } },
      { action: 'sqs:GetQueueUrl', resource: { 'Fn::GetAtt': [logicalIdOf(stack.sweepQueue.queue), 'Arn'] } },
      { action: 'sqs:SendMessage', resource: { 'Fn::GetAtt': [logicalIdOf(stack.sweepQueue.queue), 'Arn'] } },
    ]);
  });

  it('lets every shard be swept at once: the sweep queue mapping runs as many workers as there are shards', () => {
    const { stack: wide } = buildTestStack({ props: { sweepShards: 64 } });
    const wideResources = Template.fromStack(wide).toJSON().Resources as Record<string, Json>;
    const mapping = Object.values(wideResources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        r.Properties.FunctionName.Ref === logicalIdOf(functionNamed(wide, queues.sweep.handler)),
    );
    expect(mapping?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 64 });
  });

  it('refuses more shards than the sweep workers reserved, which would throttle some shards every minute', () => {
    expect(() => buildTestStack({ props: { sweepShards: 128 } })).toThrow(
      'reservedConcurrency.sweepShard (64) must be at least sweepShards (128)',
    );
  });
});
