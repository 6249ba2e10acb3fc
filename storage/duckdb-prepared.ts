import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';

/** Statements kept prepared, per connection (~20 KB each), the least used evicted. */
export const CACHED_PER_CONNECTION = 256;
const cached = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();

/**
 * A statement prepared once per connection and SQL text: a statement run on every write
 * skips its parse and plan, and the worker-thread trip to prepare it; each trip is a wait
 * for a thread and then for the event loop, which a busy process pays many times per
 * transaction. A connection runs one statement at a time (the store's pool), so the caller
 * binds and runs it before anyone else can; closing the connection destroys them.
 */
export async function preparedStatement(
  conn: DuckDBConnection,
  sql: string,
): Promise<DuckDBPreparedStatement> {
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
  return statement;
}
