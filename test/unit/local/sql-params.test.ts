/**
 * The local Data API's SQL lexer: `:name` placeholders and statement splitting must ignore
 * literals, quoted identifiers, comments and dollar-quoted bodies, as AWS does (RDS-01, RDS-03).
 */
import { bindNamedParameters, lexSql, splitStatements } from '../../../local/data-api/sql-params';

describe('bindNamedParameters', () => {
  it('numbers placeholders in order of first use and reuses the number of a repeated name', () => {
    const bound = bindNamedParameters('SELECT * FROM t WHERE a = :a AND b = :b OR a2 = :a');

    expect(bound.text).toBe('SELECT * FROM t WHERE a = $1 AND b = $2 OR a2 = $1');
    expect(bound.names).toEqual(['a', 'b']);
  });

  it.each([
    ['a string literal', "SELECT 'a:b'", "SELECT 'a:b'"],
    ['a string literal with a doubled quote', "SELECT 'it''s :x'", "SELECT 'it''s :x'"],
    ['an E string with a backslash-escaped quote', "SELECT E'it\\'s :x'", "SELECT E'it\\'s :x'"],
    ['a quoted identifier', 'SELECT "col:x" FROM t', 'SELECT "col:x" FROM t'],
    ['a line comment', 'SELECT 1 -- :c\n', 'SELECT 1 -- :c\n'],
    ['a block comment', 'SELECT /* :d */ 1', 'SELECT /* :d */ 1'],
    ['a nested block comment', 'SELECT /* a /* :d */ :e */ 1', 'SELECT /* a /* :d */ :e */ 1'],
    ['a $$ body', 'DO $$ BEGIN PERFORM :e; END $$', 'DO $$ BEGIN PERFORM :e; END $$'],
    ['a $tag$ body', 'SELECT $tag$ :f $tag$', 'SELECT $tag$ :f $tag$'],
  ])('leaves :names inside %s alone', (_case, sql, expected) => {
    const bound = bindNamedParameters(sql);

    expect(bound.text).toBe(expected);
    expect(bound.names).toEqual([]);
  });

  it('binds a placeholder followed by a ::cast and leaves the cast alone', () => {
    const bound = bindNamedParameters('SELECT :p::jsonb, x::text, :id::uuid');

    expect(bound.text).toBe('SELECT $1::jsonb, x::text, $2::uuid');
    expect(bound.names).toEqual(['p', 'id']);
  });

  it('binds placeholders inside ARRAY[...] and function calls', () => {
    const bound = bindNamedParameters('SELECT ARRAY[:a,:b], lower(:name)');

    expect(bound.text).toBe('SELECT ARRAY[$1,$2], lower($3)');
    expect(bound.names).toEqual(['a', 'b', 'name']);
  });

  it('binds placeholders next to literals and comments', () => {
    const bound = bindNamedParameters("SELECT :a||'x:y'||:b -- :c\n, :d");

    expect(bound.text).toBe("SELECT $1||'x:y'||$2 -- :c\n, $3");
    expect(bound.names).toEqual(['a', 'b', 'd']);
  });

  it('does not treat := or a dollar inside an identifier as syntax', () => {
    const bound = bindNamedParameters('SELECT a$b$c, :x, f(y := 1)');

    expect(bound.text).toBe('SELECT a$b$c, $1, f(y := 1)');
    expect(bound.positional).toBe(false);
  });

  it('reports $1-style positional parameters outside literals only', () => {
    expect(bindNamedParameters('SELECT $1').positional).toBe(true);
    expect(bindNamedParameters("SELECT '$1', $$ $1 $$").positional).toBe(false);
  });
});

describe('splitStatements', () => {
  it.each([
    ['one statement', 'SELECT 1', 1],
    ['one statement with a trailing semicolon', 'SELECT 1;', 1],
    ['a trailing semicolon and comment', 'SELECT 1; -- done\n', 1],
    ['a semicolon in a string', "SELECT ';'", 1],
    ['a semicolon in a quoted identifier', 'SELECT 1 AS ";"', 1],
    ['a semicolon in a comment', 'SELECT 1 /* ; */', 1],
    ['semicolons in a function body', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; SELECT 2; $$ LANGUAGE sql', 1],
    ['two statements', 'SELECT 1; SELECT 2', 2],
    ['two statements, the second after a comment', 'SELECT 1; /* c */ SELECT 2;', 2],
    ['empty statements between semicolons', 'SELECT 1;;', 1],
  ])('counts %s', (_case, sql, count) => {
    expect(splitStatements(sql)).toHaveLength(count);
  });

  it('returns the statements trimmed', () => {
    expect(splitStatements(" SELECT 'a;b' ;\n INSERT INTO t VALUES (1) ")).toEqual(["SELECT 'a;b'", 'INSERT INTO t VALUES (1)']);
  });
});

describe('lexSql', () => {
  it('returns segments that concatenate back to the input', () => {
    const sql = `SELECT 'a', "b", $x$c$x$ -- d\n/* e */ FROM f`;

    const segments = lexSql(sql);

    expect(segments.map((segment) => segment.text).join('')).toBe(sql);
    expect(segments.map((segment) => segment.kind)).toEqual([
      'code',
      'string',
      'code',
      'identifier',
      'code',
      'dollar',
      'code',
      'comment',
      'comment',
      'code',
    ]);
  });

  it('runs an unterminated literal to the end of the text', () => {
    expect(lexSql("SELECT 'open :x")).toEqual([
      { kind: 'code', text: 'SELECT ' },
      { kind: 'string', text: "'open :x" },
    ]);
  });
});
