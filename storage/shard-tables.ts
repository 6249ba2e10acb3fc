import type { DuckDBConnection } from '@duckdb/node-api';

/** Rows in all the given tables (one per attached shard file) together. */
export async function countRows(conn: DuckDBConnection, tables: string[]): Promise<number> {
  if (tables.length === 0) return 0;
  const sql = tables.map((t) => `SELECT count(*) AS n FROM ${t}`).join(' UNION ALL ');
  const reader = await conn.runAndReadAll(`SELECT sum(n)::BIGINT AS n FROM (${sql})`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}

/** Every `system_id/id` of a table, sorted; for checks and tests. */
export async function recordKeys(conn: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    `SELECT system_id || '/' || id AS k FROM ${table} ORDER BY k`,
  );
  return reader.getRowObjectsJS().map((r) => String(r.k));
}
