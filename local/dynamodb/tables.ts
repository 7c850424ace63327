/**
 * Creates the manifest's tables in DynamoDB Local, the way the CDK stack declares them.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type KeySchemaElement,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type KeySpec, type TableName, type TableSpec, tables } from '../../lib/app-manifest';
import { LOCAL_REGION } from '../shared/aws';

/**
 * Creates every manifest table under the given physical name if it does not exist yet, then makes sure
 * its TTL is enabled. Idempotent: a second call, or a call against a persistent data directory that
 * already holds the tables, changes nothing. An existing table whose keys or stream differ from the
 * manifest is an error (a stale data directory), not something to paper over.
 */
export async function createTables(endpoint: string, names: Record<TableName, string>): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    // With -sharedDb DynamoDB Local ignores region and credentials; they only have to be present.
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const [key, spec] of Object.entries(tables) as [TableName, TableSpec][]) {
      await ensureTable(client, names[key], spec);
    }
  } finally {
    client.destroy();
  }
}

async function ensureTable(client: DynamoDBClient, tableName: string, spec: TableSpec): Promise<void> {
  const existing = await describeTable(client, tableName);
  if (existing === undefined) {
    await client.send(new CreateTableCommand(createTableInput(tableName, spec)));
    await waitUntilActive(client, tableName);
  } else {
    assertMatchesSpec(tableName, existing, spec);
  }
  if (spec.timeToLiveAttribute !== undefined) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const current = ttl.TimeToLiveDescription;
    if (current?.TimeToLiveStatus !== 'ENABLED' || current.AttributeName !== spec.timeToLiveAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: spec.timeToLiveAttribute },
        }),
      );
    }
  }
}

function createTableInput(tableName: string, spec: TableSpec) {
  const attributes = new Map<string, KeySpec['type']>();
  const keySchema = (partitionKey: KeySpec, sortKey?: KeySpec): KeySchemaElement[] => {
    const keys: KeySchemaElement[] = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
    attributes.set(partitionKey.name, partitionKey.type);
    if (sortKey !== undefined) {
      keys.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
      attributes.set(sortKey.name, sortKey.type);
    }
    return keys;
  };
  const tableKeys = keySchema(spec.partitionKey, spec.sortKey);
  const indexes = (spec.globalSecondaryIndexes ?? []).map((index) => ({
    IndexName: index.indexName,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: index.projection },
  }));
  const attributeDefinitions: AttributeDefinition[] = [...attributes].map(([name, type]) => ({
    AttributeName: name,
    AttributeType: type,
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeDefinitions,
    KeySchema: tableKeys,
    GlobalSecondaryIndexes: indexes.length > 0 ? indexes : undefined,
    StreamSpecification: spec.stream === undefined ? undefined : { StreamEnabled: true, StreamViewType: spec.stream },
  };
}

async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** DynamoDB Local creates tables synchronously; the wait keeps AWS's CREATING -> ACTIVE contract anyway. */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const table = await describeTable(client, tableName);
    if (table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} did not become ACTIVE within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function assertMatchesSpec(tableName: string, table: TableDescription, spec: TableSpec): void {
  const key = (keys: KeySchemaElement[] | undefined) => (keys ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const expected = createTableInput(tableName, spec);
  const problems: string[] = [];
  if (key(table.KeySchema) !== key(expected.KeySchema)) problems.push('key schema');
  const existingIndexes = (table.GlobalSecondaryIndexes ?? []).map((i) => `${i.IndexName}(${key(i.KeySchema)})`).sort();
  const expectedIndexes = (expected.GlobalSecondaryIndexes ?? []).map((i) => `${i.IndexName}(${key(i.KeySchema)})`).sort();
  if (existingIndexes.join(';') !== expectedIndexes.join(';')) problems.push('global secondary indexes');
  const streamViewType = table.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType : undefined;
  if (streamViewType !== spec.stream) problems.push('stream');
  if (problems.length > 0) {
    throw new Error(
      `Table ${tableName} exists but its ${problems.join(', ')} differ from lib/app-manifest.ts; ` +
        'delete the local data directory (or the table) to recreate it',
    );
  }
}
