import type { DuckDBConnection } from '@duckdb/node-api';
import { preparedStatement } from './duckdb-prepared';
import { shardDbName } from './hot-schema';

/**
 * A shard file's commit mark: a counter and a random nonce in a one-row table. The vector
 * index saves, per shard, the mark of the rows it matches: at the next start, a shard whose
 * mark is still that one is trusted without reading its rows; any other is re-synced from
 * them. So the mark moves, in the same transaction, with the first change to the records
 * after a save recorded it (or, for a change made by a task whose transactions the store
 * does not hold, just before it); writes between two saves may keep it, since no saved file
 * vouches for it (HotIndex.keptMark). The nonce tells apart two files at the same count (a
 * file restored from elsewhere).
 *
 * As text: `<seq>:<nonce>`.
 */

/** The table and its one row (prepareShard runs it at every attach). */
export const COMMIT_MARK_DDL = (db: string) => [
  `CREATE TABLE IF NOT EXISTS ${db}.commit_mark (seq BIGINT NOT NULL, nonce VARCHAR NOT NULL)`,
  `INSERT INTO ${db}.commit_mark SELECT 0, uuid()::VARCHAR
   WHERE NOT EXISTS (SELECT 1 FROM ${db}.commit_mark)`,
];

const asMark = (seq: unknown, nonce: unknown) => `${Number(seq)}:${String(nonce)}`;

/** The counter of a mark (`<seq>:<nonce>`). */
export const markSeq = (mark: string) => Number(mark.slice(0, mark.indexOf(':')));

/** Moves the shard's mark on (inside the caller's transaction, when there is one). */
export async function bumpCommitMark(conn: DuckDBConnection, db: string): Promise<string> {
  const update = await preparedStatement(
    conn,
    `UPDATE ${db}.commit_mark SET seq = seq + 1, nonce = uuid()::VARCHAR RETURNING seq, nonce`,
  );
  const reader = await update.runAndReadAll();
  const [row] = reader.getRows();
  if (!row) throw new Error(`${db}.commit_mark has no row`);
  return asMark(row[0], row[1]);
}

/** The marks of the shards, in one query. */
export async function readCommitMarks(
  conn: DuckDBConnection,
  shards: number[],
): Promise<Map<number, string>> {
  if (shards.length === 0) return new Map();
  const union = shards
    .map((s) => `SELECT ${s} AS shard, seq, nonce FROM ${shardDbName(s)}.commit_mark`)
    .join(' UNION ALL ');
  const reader = await conn.runAndReadAll(union);
  return new Map(
    reader.getRows().map(([shard, seq, nonce]) => [Number(shard), asMark(seq, nonce)]),
  );
}

export async function readCommitMark(conn: DuckDBConnection, shard: number): Promise<string> {
  const mark = (await readCommitMarks(conn, [shard])).get(shard);
  if (mark === undefined) throw new Error(`${shardDbName(shard)}.commit_mark has no row`);
  return mark;
}
