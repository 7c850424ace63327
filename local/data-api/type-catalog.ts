/**
 * What the result formatter needs to know about a Postgres type: its name, its element type
 * (arrays) and its base type (domains). Loaded from pg_type and reloaded when a result carries
 * a type created since (an enum, a domain).
 */
export interface PgType {
  readonly oid: number;
  readonly name: string;
  /** Element type of an array type, else 0. */
  readonly element: number;
  /** pg_type.typcategory: 'A' array, 'N' numeric, 'S' string, ... */
  readonly category: string;
}

/** Runs catalog SQL on the session; rows come back as Postgres text. */
export type CatalogQuery = (sql: string) => Promise<(string | null)[][]>;

// Domains resolve to their base type: a column of a domain over int4 reads like int4, as through JDBC [INF].
const CATALOG_SQL = `
  SELECT t.oid::text, b.typname::text, b.typelem::text, b.typcategory::text
    FROM pg_catalog.pg_type t
    JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END`;

export class TypeCatalog {
  private types = new Map<number, PgType>();

  constructor(private readonly query: CatalogQuery) {}

  /** Makes sure every OID is known, reloading pg_type once if one is missing. */
  async ensure(oids: readonly number[]): Promise<void> {
    if (oids.every((oid) => this.types.has(oid))) return;
    const rows = await this.query(CATALOG_SQL);
    this.types = new Map(
      rows.map(([oid, name, element, category]) => [
        Number(oid),
        { oid: Number(oid), name: name ?? '', element: Number(element), category: category ?? '' },
      ]),
    );
  }

  /** The type, or a placeholder for an OID the catalog does not list (formatted as text). */
  get(oid: number): PgType {
    return this.types.get(oid) ?? { oid, name: 'unknown', element: 0, category: 'X' };
  }
}
