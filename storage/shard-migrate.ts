import type { DuckDBConnection } from '@duckdb/node-api';
import { COMMIT_MARK_DDL } from './commit-mark';
import { HOT_SHARD_DDL } from './hot-schema';

/**
 * Brings an attached shard file to the current schema, each step in one transaction (a
 * crash leaves the old or the new form, never half): tables created (and the commit mark's
 * row, commit-mark.ts), `upload_chunks` keyed by the counts too, `record_keys` filled from
 * the hot records of a file written before it existed, chunk rows older than `chunksBefore`
 * pruned.
 */
export async function prepareShard(
  conn: DuckDBConnection,
  db: string,
  chunksBefore: Date | undefined,
): Promise<void> {
  for (const ddl of [...HOT_SHARD_DDL(db), ...COMMIT_MARK_DDL(db)]) await conn.run(ddl);
  await keyChunksByCounts(conn, db);
  await fillKeysFromHot(conn, db);
  if (chunksBefore) await pruneChunks(conn, db, chunksBefore);
}

/** DuckDB can't alter a primary key: new table, copy, swap. */
async function keyChunksByCounts(conn: DuckDBConnection, db: string): Promise<void> {
  // pragma_table_info reads one table; duckdb_constraints() every attached file's (slow with many)
  const reader = await conn.runAndReadAll(
    `SELECT count(*)::INTEGER AS n FROM pragma_table_info('${db}.upload_chunks')
      WHERE name = 'chunk_count' AND pk`,
  );
  if (Number(reader.getRowObjectsJS()[0]?.n) > 0) return;
  const ddl = HOT_SHARD_DDL(db).find((d) => d.includes(`${db}.upload_chunks (`))!;
  await inTransaction(conn, async () => {
    await conn.run(ddl.replace(`${db}.upload_chunks (`, `${db}.upload_chunks_v2 (`));
    await conn.run(`INSERT INTO ${db}.upload_chunks_v2 SELECT * FROM ${db}.upload_chunks`);
    await conn.run(`DROP TABLE ${db}.upload_chunks`);
    await conn.run(`ALTER TABLE ${db}.upload_chunks_v2 RENAME TO upload_chunks`);
  });
}

/** Once per file: the hot records' keys into the key index (warm and cold: tiers/key-fill.ts). */
async function fillKeysFromHot(conn: DuckDBConnection, db: string): Promise<void> {
  if (await keysFilled(conn, db, 'hot')) return;
  await inTransaction(conn, async () => {
    await conn.run(
      `INSERT INTO ${db}.record_keys SELECT system_id, id, content_sha256, ts FROM ${db}.memories
       ON CONFLICT DO NOTHING`,
    );
    await markKeysFilled(conn, db, 'hot');
  });
}

export async function keysFilled(
  conn: DuckDBConnection,
  db: string,
  tier: 'hot' | 'warm' | 'cold',
): Promise<boolean> {
  const reader = await conn.runAndReadAll(
    `SELECT count(*)::INTEGER AS n FROM ${db}.record_keys_filled WHERE tier = $1`,
    [tier],
  );
  return Number(reader.getRowObjectsJS()[0]?.n) > 0;
}

export async function markKeysFilled(
  conn: DuckDBConnection,
  db: string,
  tier: 'hot' | 'warm' | 'cold',
): Promise<void> {
  await conn.run(
    `INSERT INTO ${db}.record_keys_filled VALUES ($1, now()::TIMESTAMP) ON CONFLICT DO NOTHING`,
    [tier],
  );
}

/**
 * Chunk rows recognise redeliveries; past the uploads stream's retention (plus its
 * duplicate window) no delivery of them can come, so they only cost memory at start.
 * Those of a completed upload not announced yet stay: its announcement is made from them.
 */
export async function pruneChunks(
  conn: DuckDBConnection,
  db: string,
  before: Date,
): Promise<number> {
  const r = await conn.run(
    `DELETE FROM ${db}.upload_chunks k WHERE k.recorded_at < $1::TIMESTAMP
       AND NOT EXISTS (SELECT 1 FROM ${db}.uploads_completed c WHERE NOT c.event_published
                        AND c.system_id = k.system_id AND c.upload_id = k.upload_id)`,
    [before.toISOString().replace('T', ' ').replace('Z', '')],
  );
  return Number(r.rowsChanged);
}

async function inTransaction(conn: DuckDBConnection, task: () => Promise<void>): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await task();
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
