import { VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from '../hot-schema';
import { isoSql } from '../time';
import type { IndexPoint } from './types';
import { keySetFingerprint } from './usearch-index';

/**
 * The hot shard's DuckDB file as the source an embedded index is rebuilt from and checked
 * against (`UsearchIndex.openOrRebuild(path, () => hotShardPoints(conn, shard), {
 * expectedCount: () => hotShardCount(conn, shard), expectedFingerprint: ... })`).
 * `conn` is any connection of the instance the shard's file is attached to.
 */
export async function* hotShardPoints(
  conn: DuckDBConnection,
  shard: number,
  batchSize = 2000,
): AsyncIterable<IndexPoint[]> {
  const db = shardDbName(shard);
  let after: [string, string] | undefined;
  for (;;) {
    const where = after ? 'WHERE system_id > $1 OR (system_id = $1 AND id > $2)' : '';
    const reader = await conn.runAndReadAll(
      `SELECT system_id, id, kind, project, ${isoSql('ts')} AS timestamp, embedding
       FROM ${db}.memories ${where} ORDER BY system_id, id LIMIT ${Math.floor(batchSize)}`,
      after ? [after[0], after[1]] : [],
      after ? [VARCHAR, VARCHAR] : [],
    );
    const rows = reader.getRowObjectsJS();
    if (rows.length === 0) return;
    yield rows.map((r) => {
      const key = { system_id: String(r.system_id), id: String(r.id) };
      return {
        key,
        vector: Float32Array.from(r.embedding as number[]),
        payload: {
          ...key,
          kind: String(r.kind),
          project: r.project === null ? null : String(r.project),
          timestamp: String(r.timestamp),
          shard,
          tier: 'hot' as const,
        },
      };
    });
    const last = rows[rows.length - 1]!;
    after = [String(last.system_id), String(last.id)];
  }
}

export async function hotShardCount(conn: DuckDBConnection, shard: number): Promise<number> {
  const reader = await conn.runAndReadAll(
    `SELECT count(*)::BIGINT AS n FROM ${shardDbName(shard)}.memories`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}

/** `keySetFingerprint` of every record of the shard (one pass over its keys). */
export async function hotShardFingerprint(conn: DuckDBConnection, shard: number): Promise<bigint> {
  const reader = await conn.runAndReadAll(
    `SELECT system_id, id FROM ${shardDbName(shard)}.memories`,
  );
  return keySetFingerprint(
    reader.getRowObjectsJS().map((r) => ({ system_id: String(r.system_id), id: String(r.id) })),
  );
}
