/**
 * Turns Postgres text output into the Data API's `records` of `Field` unions (RES-01..04).
 * Values arrive as the text Postgres
 * prints (PGlite's own JS parsers are bypassed), so nothing is lost to JS Dates or numbers
 * before the Data API's own formatting rules apply.
 */
import { types as pgliteTypes } from '@electric-sql/pglite';
import { unsupportedResult } from './errors';
import type { PgType, TypeCatalog } from './type-catalog';

/** A response `Field`: exactly one member, as the SDK's union deserializer requires (RDP-02). */
export type OutField =
  | { readonly isNull: true }
  | { readonly longValue: number }
  | { readonly doubleValue: number | string }
  | { readonly stringValue: string }
  | { readonly booleanValue: boolean }
  | { readonly blobValue: string }
  | { readonly arrayValue: OutArray };

export type OutArray =
  | { readonly longValues: (number | null)[] }
  | { readonly doubleValues: (number | string | null)[] }
  | { readonly booleanValues: (boolean | null)[] }
  | { readonly stringValues: (string | null)[] };

export interface RawColumn {
  readonly name: string;
  readonly dataTypeID: number;
}

type Kind = 'long' | 'double' | 'decimal' | 'bool' | 'blob' | 'timestamptz' | 'array' | 'unsupported' | 'string';

const KIND_BY_NAME: Readonly<Record<string, Kind>> = {
  int2: 'long',
  int4: 'long',
  int8: 'long',
  oid: 'long',
  float4: 'double',
  float8: 'double',
  numeric: 'decimal',
  bool: 'bool',
  bytea: 'blob',
  timestamptz: 'timestamptz',
  // AWS: geometric types and money are not supported result types; cast them to text (RES-02).
  money: 'unsupported',
  point: 'unsupported',
  line: 'unsupported',
  lseg: 'unsupported',
  box: 'unsupported',
  path: 'unsupported',
  polygon: 'unsupported',
  circle: 'unsupported',
};

// Everything else (text, varchar, uuid, json, jsonb, date, time, timestamp, enums, inet, ...) reads as a
// string, as AWS documents for its supported scalar types; types AWS may reject (interval, xml, ...) are
// knowingly let through as text rather than guessed at.
const kindOf = (type: PgType): Kind => {
  if (type.category === 'A' && type.element !== 0) return 'array';
  return KIND_BY_NAME[type.name] ?? 'string';
};

const unsupported = (type: PgType) => unsupportedResult(`The result contains the unsupported data type ${type.name}.`);

// Postgres prints non-finite floats as NaN/Infinity/-Infinity; the Data API sends those as strings (RDP-03).
const doubleOf = (text: string, type: PgType): number | string => {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return text;
  // AWS/JDBC reads a float4 as a Java float widened to double (1.1 -> 1.100000023841858) [INF].
  return type.name === 'float4' ? Math.fround(Number(text)) : Number(text);
};

// Longs beyond 2^53 lose precision here, as they do in the SDK's JSON.parse (RDP-03).
const longOf = (text: string): number => Number(text);

const TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * AWS: TIMESTAMPTZ values come back in UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]` — no `T`, no zone, no trailing
 * zeros in the fraction (RES-03). The session runs in UTC, but a `SET LOCAL TimeZone` in a transaction would
 * change the printed offset, so the offset is applied rather than cut off. BC dates and infinity pass through.
 */
const timestamptzToUtc = (text: string): string => {
  const match = TIMESTAMPTZ.exec(text);
  if (match === null) return text;
  const [, year, month, day, hour, minute, second, fraction = '', sign, offH, offM = '0', offS = '0'] = match;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(offH) * 3600 + Number(offM) * 60 + Number(offS));
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 19xx.
  const utc = new Date(0);
  utc.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  utc.setUTCHours(Number(hour), Number(minute), Number(second) - offsetSeconds, 0);
  const date = `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())}`;
  const time = `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}`;
  const trimmedFraction = fraction.replace(/0+$/, '').replace(/^\.$/, '');
  return `${date} ${time}${trimmedFraction}`;
};

const base64OfBytea = (text: string): string => Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex').toString('base64');

/** A scalar as the Data API's `Field`. */
const scalarField = (text: string, type: PgType, kind: Kind): OutField => {
  switch (kind) {
    case 'long':
      return { longValue: longOf(text) };
    case 'double':
      return { doubleValue: doubleOf(text, type) };
    case 'decimal':
      // AWS: DECIMAL comes back as a string (RES-02).
      return { stringValue: text };
    case 'bool':
      return { booleanValue: text === 't' };
    case 'blob':
      return { blobValue: base64OfBytea(text) };
    case 'timestamptz':
      return { stringValue: timestamptzToUtc(text) };
    case 'unsupported':
      throw unsupported(type);
    default:
      return { stringValue: text };
  }
};

const parseArrayText = (text: string, type: PgType): unknown[] =>
  pgliteTypes.arrayParser(text, (element: string) => element, type.oid) as unknown[];

/** AWS: 1-D arrays come back as `arrayValue` with the element-typed list; deeper arrays are unsupported (RES-02). */
const arrayField = (text: string, type: PgType, catalog: TypeCatalog): OutField => {
  const elements = parseArrayText(text, type);
  if (elements.some((element) => Array.isArray(element))) throw unsupported(type);
  const elementType = catalog.get(type.element);
  const elementKind = kindOf(elementType);
  const values = (elements as (string | null)[]).map((element) =>
    element === null ? null : scalarField(element, elementType, elementKind),
  );
  const member = <T>(pick: (field: OutField) => T) => values.map((field) => (field === null ? null : pick(field)));
  if (elementKind === 'long') return { arrayValue: { longValues: member((field) => (field as { longValue: number }).longValue) } };
  if (elementKind === 'double') return { arrayValue: { doubleValues: member((field) => (field as { doubleValue: number }).doubleValue) } };
  if (elementKind === 'bool')
    return { arrayValue: { booleanValues: member((field) => (field as { booleanValue: boolean }).booleanValue) } };
  return { arrayValue: { stringValues: member((field) => String(Object.values(field)[0])) } };
};

/** One value as a `Field`. */
const toField = (text: string | null, type: PgType, catalog: TypeCatalog): OutField => {
  if (text === null) return { isNull: true };
  const kind = kindOf(type);
  return kind === 'array' ? arrayField(text, type, catalog) : scalarField(text, type, kind);
};

export const toRecords = (
  rows: readonly (readonly (string | null)[])[],
  columns: readonly RawColumn[],
  catalog: TypeCatalog,
): OutField[][] => {
  const columnTypes = columns.map((column) => catalog.get(column.dataTypeID));
  return rows.map((row) => row.map((text, index) => toField(text, columnTypes[index], catalog)));
};
