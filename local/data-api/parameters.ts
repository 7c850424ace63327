/**
 * Binds Data API `SqlParameter`s as Postgres parameters with explicit types, the way the Data
 * API's JDBC layer does. Inferring types instead (as PGlite and local-data-api do) would hide
 * `uuid = character varying` mistakes that fail on AWS (RDS-04).
 */
import { badRequest } from './errors';

/** The wire shape of one `Field` (a union: exactly one member is set). */
export interface WireField {
  readonly isNull?: boolean;
  readonly booleanValue?: boolean;
  readonly longValue?: number;
  readonly doubleValue?: number | string;
  readonly stringValue?: string;
  readonly blobValue?: string;
  readonly arrayValue?: unknown;
}

export interface WireParameter {
  readonly name?: string;
  readonly value?: WireField;
  readonly typeHint?: string;
}

/** Postgres type OIDs used for binding. */
export const OID = {
  unknown: 0,
  bool: 16,
  bytea: 17,
  int8: 20,
  json: 114,
  float8: 701,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  numeric: 1700,
  uuid: 2950,
} as const;

// AWS: typeHint turns a stringValue into DATE, TIME, TIMESTAMP, DECIMAL, JSON or UUID (RDS-04).
const TYPE_HINTS: Readonly<Record<string, number>> = {
  DATE: OID.date,
  TIME: OID.time,
  TIMESTAMP: OID.timestamp,
  DECIMAL: OID.numeric,
  JSON: OID.json,
  UUID: OID.uuid,
};

export interface BoundValue {
  /** The value in Postgres text format, or null for SQL NULL. */
  readonly text: string | null;
  readonly oid: number;
}

const hintOid = (parameter: WireParameter): number | undefined => {
  if (parameter.typeHint === undefined) return undefined;
  const oid = TYPE_HINTS[parameter.typeHint];
  // AWS: the service validates typeHint against its enum; the exact error is unconfirmed [VERIFY].
  if (oid === undefined) throw badRequest(`Invalid typeHint ${parameter.typeHint} for parameter ${parameter.name}`);
  return oid;
};

const doubleText = (value: number | string): string => {
  // AWS/SDK: doubles travel as JSON numbers or the strings "NaN", "Infinity", "-Infinity" (RDP-03).
  if (value === 'Infinity' || value === '-Infinity' || value === 'NaN') return value;
  if (typeof value !== 'number') throw badRequest(`Invalid doubleValue ${JSON.stringify(value)}`);
  return String(value);
};

const byteaText = (base64: string): string => `\\x${Buffer.from(base64, 'base64').toString('hex')}`;

const setMembers = (field: WireField): string[] =>
  Object.entries(field)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key]) => key);

/** One parameter as Postgres text plus the type OID it binds as. */
const bindValue = (parameter: WireParameter): BoundValue => {
  const field = parameter.value;
  const members = field === undefined ? [] : setMembers(field);
  if (field === undefined || members.length !== 1) {
    throw badRequest(`Parameter ${parameter.name} must have exactly one value member, got ${members.length}`);
  }
  const hint = hintOid(parameter);
  // AWS: array parameters are not supported; pass a string and cast it (RDS-05). Exact error [VERIFY].
  if (field.arrayValue !== undefined) throw badRequest('Array parameters are not supported.');
  // A typed NULL keeps its hint; an untyped one lets Postgres infer the type from context.
  if (field.isNull !== undefined) return { text: null, oid: hint ?? OID.unknown };
  // AWS: a bare stringValue binds as character varying, so `uuid_col = :id` fails without typeHint UUID (RDS-04).
  if (field.stringValue !== undefined) return { text: field.stringValue, oid: hint ?? OID.varchar };
  // Other kinds bind as JDBC would: long -> int8, double -> float8, boolean -> bool, blob -> bytea [INF]; typeHint
  // only applies to strings.
  if (field.longValue !== undefined) return { text: String(field.longValue), oid: OID.int8 };
  if (field.doubleValue !== undefined) return { text: doubleText(field.doubleValue), oid: OID.float8 };
  if (field.booleanValue !== undefined) return { text: field.booleanValue ? 't' : 'f', oid: OID.bool };
  if (field.blobValue !== undefined) return { text: byteaText(field.blobValue), oid: OID.bytea };
  throw badRequest(`Parameter ${parameter.name} has an unknown value member ${members[0]}`);
};

export interface BoundParameters {
  readonly values: (string | null)[];
  readonly types: number[];
}

/**
 * Values and types for `$1..$n`, where `names[i]` is the placeholder behind `$${i + 1}`.
 * Supplied parameters that the SQL does not use are ignored [VERIFY: AWS may reject them].
 */
export const bindParameters = (names: readonly string[], parameters: unknown = []): BoundParameters => {
  if (!Array.isArray(parameters)) throw badRequest('parameters must be a list');
  const byName = new Map((parameters as WireParameter[]).map((parameter) => [parameter?.name, parameter]));
  const bound = names.map((name) => {
    const parameter = byName.get(name);
    // AWS: a placeholder without a supplied parameter fails the call; exact wording [VERIFY].
    if (parameter === undefined) throw badRequest(`No value specified for parameter: ${name}`);
    return bindValue(parameter);
  });
  return { values: bound.map((value) => value.text), types: bound.map((value) => value.oid) };
};
