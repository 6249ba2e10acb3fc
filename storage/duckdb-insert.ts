import {
  DuckDBArrayType,
  DuckDBArrayValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { APPEND_TYPES, appendRows } from './duckdb-append';

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
  rows: DuckDBValue[][],
): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  if (rows.length > INSERT_MAX_ROWS) return appendRows(conn, db, table, rows);
  return insertRows(conn, db, table, APPEND_TYPES[table], rows);
}

/**
 * One INSERT with bound parameters, in table column order. A fixed-size array (a vector) is
 * bound as its text and cast in SQL, which DuckDB parses off the event loop; binding it
 * element by element would cost more than the appender. Exact: each float's shortest
 * decimal parses back to the same float.
 */
export async function insertRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: DuckDBValue[][],
): Promise<void> {
  const values: DuckDBValue[] = [];
  const bound: DuckDBType[] = [];
  const tuples = rows.map((row) => {
    const params = types.map((type, i) => {
      const value = row[i] ?? null;
      const asText = type instanceof DuckDBArrayType && value instanceof DuckDBArrayValue;
      values.push(asText ? arrayText(value) : value);
      bound.push(asText ? VARCHAR : type);
      return asText ? `$${values.length}::${type.toString()}` : `$${values.length}`;
    });
    return `(${params.join(', ')})`;
  });
  const sql = `INSERT INTO ${db}.${table} VALUES ${tuples.join(', ')}`;
  return runPrepared(conn, sql, values, bound);
}

/** INSERTs kept prepared, per connection (~20 KB each), the least used evicted. */
export const CACHED_PER_CONNECTION = 256;
const cached = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();

/**
 * Runs an INSERT prepared once per connection and shape (table and row count): a small
 * write skips its parse and plan, and the worker-thread trip to prepare it; each trip is
 * a wait for a thread and then for the event loop, which a busy process pays many times
 * per transaction. (run(sql, values) would even split the text into statements first.) A
 * connection runs one statement at a time (the store's pool), so a statement is never
 * bound twice at once; closing the connection destroys them.
 */
async function runPrepared(
  conn: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
  types: DuckDBType[],
): Promise<void> {
  let statements = cached.get(conn);
  if (!statements) cached.set(conn, (statements = new Map()));
  let statement = statements.get(sql);
  if (statement)
    statements.delete(sql); // re-inserted below: most recently used last
  else statement = await conn.prepare(sql);
  statements.set(sql, statement);
  if (statements.size > CACHED_PER_CONNECTION) {
    const [oldest, evicted] = statements.entries().next().value!;
    statements.delete(oldest);
    evicted.destroySync();
  }
  statement.bind(values, types);
  await statement.run();
}

/** `[1.5,-0,…]`: -0 keeps its sign (String(-0) is "0"). */
function arrayText(value: DuckDBArrayValue): string {
  const items = value.items.map((v) => (Object.is(v, -0) ? '-0' : String(v)));
  return `[${items.join(',')}]`;
}
