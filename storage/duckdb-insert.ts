import { isFloat32Array } from 'node:util/types';
import {
  DuckDBArrayType,
  DuckDBArrayValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { APPEND_TYPES, appendRows, type RowValue } from './duckdb-append';
import { preparedStatement } from './duckdb-prepared';

/**
 * Up to this many rows a table's rows go in as one INSERT … VALUES, which DuckDB runs off the
 * event loop; the appender's flush runs on it and blocks it for 0.5–2 ms per table however
 * few the rows. More rows take the appender: per row it costs far less than binding.
 */
export const INSERT_MAX_ROWS = 4;

/** Writes rows of a shard table: few by INSERT (off the event loop), many by the appender. */
export function writeRows(
  conn: DuckDBConnection,
  db: string,
  table: keyof typeof APPEND_TYPES,
  rows: RowValue[][],
  rowsPerFlush?: number,
): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  if (rows.length > INSERT_MAX_ROWS) return appendRows(conn, db, table, rows, rowsPerFlush);
  return insertRows(conn, db, table, APPEND_TYPES[table], rows);
}

/**
 * One INSERT with bound parameters, in table column order, shaped so DuckDB can reuse its
 * plan: a statement is re-planned on every run when a bound value's type differs from the
 * parameter's (~0.3 ms of CPU each).
 * - A fixed-size array (a vector) is bound as its text and parsed in SQL, off the event loop;
 *   binding it element by element costs ~0.15 ms on the event loop. `trim` keeps the
 *   parameter a VARCHAR: a cast straight on a parameter makes it the cast's type. Exact: each
 *   float's shortest decimal parses back to the same float.
 * - A NULL goes in as the literal: a bound NULL has no type. Each pattern of NULLs is its own
 *   statement, so there are a few per table.
 */
export async function insertRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: RowValue[][],
): Promise<void> {
  const values: DuckDBValue[] = [];
  const bound: DuckDBType[] = [];
  const tuples = rows.map((row) => {
    const params = types.map((type, i) => {
      const value = row[i] ?? null;
      if (value === null) return 'NULL';
      const asText =
        type instanceof DuckDBArrayType &&
        (value instanceof DuckDBArrayValue || isFloat32Array(value));
      values.push(asText ? arrayText(value) : (value as DuckDBValue));
      bound.push(asText ? VARCHAR : type);
      return asText ? `trim($${values.length})::${type.toString()}` : `$${values.length}`;
    });
    return `(${params.join(', ')})`;
  });
  const sql = `INSERT INTO ${db}.${table} VALUES ${tuples.join(', ')}`;
  return runPrepared(conn, sql, values, bound);
}

/** Runs an INSERT kept prepared per shape (table and row count, and where the NULLs are). */
async function runPrepared(
  conn: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
  types: DuckDBType[],
): Promise<void> {
  const statement = await preparedStatement(conn, sql);
  statement.bind(values, types);
  await statement.run();
}

/** `[1.5,-0,…]`: -0 keeps its sign (String(-0) is "0"). */
function arrayText(value: DuckDBArrayValue | Float32Array): string {
  const floats = isFloat32Array(value) ? Array.from(value) : value.items;
  const items = floats.map((v) => (Object.is(v, -0) ? '-0' : String(v)));
  return `[${items.join(',')}]`;
}
