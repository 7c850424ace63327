import { streamConsumers } from '../../../lib/app-manifest';
import { streamMapping } from '../../../local/stack';

describe("the local stream consumers' event source mappings", () => {
  const consumer = (handler: string) =>
    streamConsumers.find((candidate) => candidate.handler === handler) as (typeof streamConsumers)[number];

  it("carry the notifier's mapping as CDK deploys it, ParallelizationFactor included", () => {
    // Prepare
    const notifier = consumer('notify');

    // Act
    const mapping = streamMapping(notifier);

    // Assess
    expect(mapping).toEqual({
      batchSize: 100,
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: 3600,
      bisectBatchOnFunctionError: true,
      parallelizationFactor: 4,
      reportBatchItemFailures: true,
      filters: notifier.filters,
    });
  });

  it("carry the last-seen recorder's: one lane, big batches, retried for the stream's whole retention", () => {
    expect(streamMapping(consumer('recordLastSeen'))).toMatchObject({
      batchSize: 500,
      maximumRetryAttempts: 10_000,
      maximumRecordAgeSeconds: 86_400,
      parallelizationFactor: 1,
      reportBatchItemFailures: false,
    });
  });
});
