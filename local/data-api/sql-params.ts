/**
 * The Data API's SQL surface: `:name` placeholders and "one statement per call".
 *
 * Both need a lexer that knows where SQL text is *code* and where it is a string literal, a
 * quoted identifier, a comment or a dollar-quoted body, because a `:x` or `;` inside those is
 * data, not syntax (RDS-01, RDS-03).
 */

/** A stretch of SQL text: `code` is scanned for placeholders and `;`, everything else is opaque. */
export interface SqlSegment {
  readonly kind: 'code' | 'string' | 'identifier' | 'comment' | 'dollar';
  readonly text: string;
}

export interface BoundSql {
  /** The SQL with `:name` replaced by `$1`, `$2`, ... (a name used twice keeps one number). */
  readonly text: string;
  /** `names[i]` is the parameter bound to `$${i + 1}`. */
  readonly names: readonly string[];
  /** True when the SQL already uses `$1`-style positional parameters. */
  readonly positional: boolean;
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

const isIdentChar = (char: string | undefined): boolean => char !== undefined && IDENT_CHAR.test(char);

/** End index (exclusive) of a `'...'` literal starting at `start`; `''` escapes a quote, and so does `\'` in E'' strings. */
const endOfString = (sql: string, start: number, backslashEscapes: boolean): number => {
  for (let i = start + 1; i < sql.length; i++) {
    const char = sql[i];
    if (backslashEscapes && char === '\\') i++;
    else if (char === "'") {
      if (sql[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return sql.length;
};

const endOfQuotedIdentifier = (sql: string, start: number): number => {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== '"') continue;
    if (sql[i + 1] === '"') i++;
    else return i + 1;
  }
  return sql.length;
};

const endOfLineComment = (sql: string, start: number): number => {
  const newline = sql.indexOf('\n', start);
  return newline === -1 ? sql.length : newline + 1;
};

/** Postgres block comments nest: `/* a /* b *\/ c *\/` is one comment. */
const endOfBlockComment = (sql: string, start: number): number => {
  let depth = 0;
  for (let i = start; i < sql.length - 1; i++) {
    const pair = sql.slice(i, i + 2);
    if (pair === '/*') {
      depth++;
      i++;
    } else if (pair === '*/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return sql.length;
};

/** A `$tag$` opens a dollar-quoted body unless `$` continues an identifier (`a$b`) or is `$1`. */
const dollarTagAt = (sql: string, start: number): string | null => {
  if (isIdentChar(sql[start - 1])) return null;
  const match = DOLLAR_TAG.exec(sql.slice(start, start + 65));
  return match === null ? null : match[0];
};

/** Where the opaque segment starting at `i` ends, or null when `i` starts code. */
const opaqueSegmentAt = (sql: string, i: number): { kind: SqlSegment['kind']; end: number } | null => {
  const char = sql[i];
  const next = sql[i + 1];
  if (char === "'") {
    const escaped = (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdentChar(sql[i - 2]);
    return { kind: 'string', end: endOfString(sql, i, escaped) };
  }
  if (char === '"') return { kind: 'identifier', end: endOfQuotedIdentifier(sql, i) };
  if (char === '-' && next === '-') return { kind: 'comment', end: endOfLineComment(sql, i) };
  if (char === '/' && next === '*') return { kind: 'comment', end: endOfBlockComment(sql, i) };
  if (char === '$') {
    const tag = dollarTagAt(sql, i);
    if (tag === null) return null;
    const close = sql.indexOf(tag, i + tag.length);
    return { kind: 'dollar', end: close === -1 ? sql.length : close + tag.length };
  }
  return null;
};

/** Splits SQL into code and opaque segments; concatenating the texts gives back the input. */
export const lexSql = (sql: string): SqlSegment[] => {
  const segments: SqlSegment[] = [];
  let codeStart = 0;
  let i = 0;
  while (i < sql.length) {
    const opaque = opaqueSegmentAt(sql, i);
    if (opaque === null) {
      i++;
      continue;
    }
    if (i > codeStart) segments.push({ kind: 'code', text: sql.slice(codeStart, i) });
    segments.push({ kind: opaque.kind, text: sql.slice(i, opaque.end) });
    i = opaque.end;
    codeStart = i;
  }
  if (codeStart < sql.length) segments.push({ kind: 'code', text: sql.slice(codeStart) });
  return segments;
};

/**
 * The statements in `sql`, split at `;` outside literals and comments. Statements made only of
 * whitespace and comments are dropped, so `SELECT 1;` is one statement.
 */
export const splitStatements = (sql: string): string[] => {
  const statements: string[] = [];
  let current = '';
  let hasContent = false;
  const flush = () => {
    if (hasContent) statements.push(current.trim());
    current = '';
    hasContent = false;
  };
  for (const segment of lexSql(sql)) {
    if (segment.kind !== 'code') {
      current += segment.text;
      hasContent ||= segment.kind !== 'comment';
      continue;
    }
    const parts = segment.text.split(';');
    parts.forEach((part, index) => {
      if (index > 0) flush();
      current += part;
      hasContent ||= part.trim() !== '';
    });
  }
  flush();
  return statements;
};

// `::type` is a cast, `:=` an assignment; only `:` + identifier start is a placeholder.
const PLACEHOLDER = /::|:([A-Za-z_][A-Za-z0-9_]*)/g;
const POSITIONAL = /(^|[^A-Za-z0-9_$])\$\d/;

/** Rewrites `:name` placeholders to Postgres `$n` parameters. */
export const bindNamedParameters = (sql: string): BoundSql => {
  const names: string[] = [];
  let positional = false;
  const numberOf = (name: string): number => {
    const index = names.indexOf(name);
    if (index !== -1) return index + 1;
    names.push(name);
    return names.length;
  };
  const text = lexSql(sql)
    .map((segment) => {
      if (segment.kind !== 'code') return segment.text;
      positional ||= POSITIONAL.test(segment.text);
      return segment.text.replace(PLACEHOLDER, (match: string, name: string | undefined) =>
        name === undefined ? match : `$${numberOf(name)}`,
      );
    })
    .join('');
  return { text, names, positional };
};
