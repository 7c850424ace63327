import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { KeySpec, TableName, TableSpec } from '../app-manifest';

/** Props of {@link PresenceTables}. */
export interface PresenceTablesProps {
  /** The tables to create, by name (`tables` in the app manifest). */
  readonly tables: Readonly<Record<TableName, TableSpec>>;
  /**
   * What happens to the tables when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether DynamoDB refuses to delete the tables.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

const attribute = (key: KeySpec): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING,
});

const streamViewType = {
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
  OLD_IMAGE: dynamodb.StreamViewType.OLD_IMAGE,
  KEYS_ONLY: dynamodb.StreamViewType.KEYS_ONLY,
} as const satisfies Record<NonNullable<TableSpec['stream']>, dynamodb.StreamViewType>;

const projectionType = {
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  ALL: dynamodb.ProjectionType.ALL,
} as const;

/**
 * The DynamoDB tables of the app manifest, as `TableV2`: on-demand, point-in-time recovery on,
 * TTL, streams and indexes as declared. Names are generated; handlers get them from the environment.
 */
export class PresenceTables extends Construct {
  /** The tables, by manifest name. */
  public readonly tables: Readonly<Record<TableName, dynamodb.TableV2>>;

  constructor(scope: Construct, id: string, props: PresenceTablesProps) {
    super(scope, id);
    const entries = Object.entries(props.tables) as [TableName, TableSpec][];
    this.tables = Object.fromEntries(
      entries.map(([name, spec]) => [
        name,
        new dynamodb.TableV2(this, name, {
          partitionKey: attribute(spec.partitionKey),
          sortKey: spec.sortKey && attribute(spec.sortKey),
          billing: dynamodb.Billing.onDemand(),
          timeToLiveAttribute: spec.timeToLiveAttribute,
          dynamoStream: spec.stream && streamViewType[spec.stream],
          globalSecondaryIndexes: spec.globalSecondaryIndexes?.map((index) => ({
            indexName: index.indexName,
            partitionKey: attribute(index.partitionKey),
            sortKey: index.sortKey && attribute(index.sortKey),
            projectionType: projectionType[index.projection],
          })),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: props.deletionProtection ?? true,
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        }),
      ]),
    ) as Record<TableName, dynamodb.TableV2>;
  }

  /** The one table holding all presence data. */
  public get presence(): dynamodb.TableV2 {
    return this.tables.presence;
  }
}
