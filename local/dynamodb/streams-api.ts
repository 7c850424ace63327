/**
 * The DynamoDB and DynamoDB Streams calls the stream poller makes, spoken raw over HTTP (DDB-04),
 * so records keep Lambda's wire shapes (epoch-seconds timestamps, base64 blobs) rather than
 * becoming SDK objects.
 */

import { StreamsApiError } from './errors';
import type { RawStreamRecord } from './stream-records';

export interface ShardDescription {
  ShardId: string;
  ParentShardId?: string;
  SequenceNumberRange?: { StartingSequenceNumber?: string; EndingSequenceNumber?: string };
}

export type ShardPosition =
  | { ShardIteratorType: 'LATEST' | 'TRIM_HORIZON' }
  | { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER'; SequenceNumber: string };

const API_VERSION_TARGET = { dynamodb: 'DynamoDB_20120810', streams: 'DynamoDBStreams_20120810' };

export class StreamsApi {
  constructor(private readonly endpoint: string) {}

  /** The table's stream ARN and partition key attribute; throws when the table has no stream enabled. */
  async stream(tableName: string): Promise<{ arn: string; partitionKey: string }> {
    const described = await this.call<{
      Table?: {
        LatestStreamArn?: string;
        StreamSpecification?: { StreamEnabled?: boolean };
        KeySchema?: { AttributeName: string; KeyType: string }[];
      };
    }>('dynamodb', 'DescribeTable', { TableName: tableName });
    const arn = described.Table?.LatestStreamArn;
    if (arn === undefined || described.Table?.StreamSpecification?.StreamEnabled !== true)
      throw new Error(`Table ${tableName} has no stream enabled`);
    const partitionKey = described.Table?.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
    if (partitionKey === undefined) throw new Error(`Table ${tableName} has no partition key in DescribeTable`);
    return { arn, partitionKey };
  }

  /** The table's TTL attribute, or undefined when TTL is not enabled. */
  async ttlAttribute(tableName: string): Promise<string | undefined> {
    const ttl = await this.call<{ TimeToLiveDescription?: { TimeToLiveStatus?: string; AttributeName?: string } }>(
      'dynamodb',
      'DescribeTimeToLive',
      { TableName: tableName },
    );
    return ttl.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED' ? ttl.TimeToLiveDescription.AttributeName : undefined;
  }

  async shards(streamArn: string): Promise<ShardDescription[]> {
    const shards: ShardDescription[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await this.call<{ StreamDescription: { Shards?: ShardDescription[]; LastEvaluatedShardId?: string } }>(
        'streams',
        'DescribeStream',
        { StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId },
      );
      shards.push(...(page.StreamDescription.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  async shardIterator(streamArn: string, shardId: string, position: ShardPosition): Promise<string> {
    const result = await this.call<{ ShardIterator: string }>('streams', 'GetShardIterator', {
      StreamArn: streamArn,
      ShardId: shardId,
      ...position,
    });
    return result.ShardIterator;
  }

  records(iterator: string, limit: number): Promise<{ Records?: RawStreamRecord[]; NextShardIterator?: string | null }> {
    return this.call('streams', 'GetRecords', { ShardIterator: iterator, Limit: limit });
  }

  private async call<T>(service: keyof typeof API_VERSION_TARGET, operation: string, body: object): Promise<T> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${API_VERSION_TARGET[service]}.${operation}`,
        // DynamoDB Local requires an Authorization header but does not verify signatures.
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (!response.ok) {
      const type = String(json.__type ?? 'UnknownError');
      throw new StreamsApiError(type.slice(type.lastIndexOf('#') + 1), String(json.message ?? json.Message ?? text), response.status);
    }
    return json as T;
  }
}
