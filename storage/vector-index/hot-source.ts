import type { DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from '../hot-schema';
import { isoSql } from '../time';
import type { IndexPoint, RecordKey } from './types';
import { keySetFingerprint } from './usearch-index';

/**
 * The hot shards' DuckDB files as the source an embedded index is rebuilt from and checked
 * against: one point per record (its own vector) and one per passage of a long text, keyed
 * `<id>#<n>` (`#` cannot occur in a record id). `conn` is any connection of the instance the
 * shard files are attached to.
 */

const PASSAGE_MARK = '#';

export const passagePointId = (id: string, passage: number) => `${id}${PASSAGE_MARK}${passage}`;

/** A point's id back to its record id and passage number (undefined: the record's own vector). */
export function parsePointId(pointId: string): { id: string; passage?: number } {
  const at = pointId.lastIndexOf(PASSAGE_MARK);
  if (at < 0) return { id: pointId };
  return { id: pointId.slice(0, at), passage: Number(pointId.slice(at + 1)) };
}

interface PointQuery {
  /** SELECT list and FROM clause; must yield system_id, id (the point id), kind, project, timestamp, embedding */
  from: (db: string) => string;
}

const RECORDS: PointQuery = {
  from: (db) =>
    `SELECT system_id, id, id AS point_id, kind, project, ${isoSql('ts')} AS timestamp, embedding
     FROM ${db}.memories`,
};

// Passages whose record is gone (moved to warm) are not points.
const PASSAGES: PointQuery = {
  from: (db) =>
    `SELECT p.system_id, p.id, p.id || '${PASSAGE_MARK}' || p.passage AS point_id, m.kind, m.project,
       ${isoSql('m.ts')} AS timestamp, p.embedding
     FROM ${db}.memory_passages p JOIN ${db}.memories m USING (system_id, id)`,
};

// With what a search result shows (`shown`): a shared store's points carry it as payload.
const RECORDS_SHOWN: PointQuery = {
  from: (db) =>
    `SELECT system_id, id, id AS point_id, kind, project, ${isoSql('ts')} AS timestamp, embedding,
       content, tags, metadata, upload_id
     FROM ${db}.memories`,
};

const PASSAGES_SHOWN: PointQuery = {
  from: (db) =>
    `SELECT p.system_id, p.id, p.id || '${PASSAGE_MARK}' || p.passage AS point_id, m.kind, m.project,
       ${isoSql('m.ts')} AS timestamp, p.embedding, p.passage, p.char_start, p.char_end
     FROM ${db}.memory_passages p JOIN ${db}.memories m USING (system_id, id)`,
};

/**
 * Every point of the shard (records, then passages), in batches of one streamed query. `shown`:
 * each point's `extra` holds what a search result shows (shownFields).
 */
export async function* hotShardPoints(
  conn: DuckDBConnection,
  shard: number,
  batchSize = 2000,
  shown = false,
): AsyncIterable<IndexPoint[]> {
  const queries = shown ? [RECORDS_SHOWN, PASSAGES_SHOWN] : [RECORDS, PASSAGES];
  for (const query of queries) yield* pointsOf(conn, shard, query, batchSize);
}

/**
 * What a search result shows of a point, beside its payload: the record's text, tags,
 * metadata (JSON text) and upload; a passage's number and character span.
 */
export function shownFields(r: Record<string, unknown>): Record<string, unknown> | undefined {
  if ('content' in r)
    return {
      content: String(r.content),
      tags: (r.tags as string[] | null) ?? [],
      metadata_json: String(r.metadata),
      upload_id: String(r.upload_id),
    };
  if ('char_start' in r)
    return {
      passage: Number(r.passage),
      passage_start: Number(r.char_start),
      passage_end: Number(r.char_end),
    };
  return undefined;
}

/**
 * One streamed query over the shard, cut into batches: a keyset-paginated read sorted and
 * scanned the shard again for every batch (quadratic in a large shard's size).
 */
async function* pointsOf(
  conn: DuckDBConnection,
  shard: number,
  query: PointQuery,
  batchSize: number,
): AsyncIterable<IndexPoint[]> {
  const result = await conn.stream(query.from(shardDbName(shard)));
  const size = Math.max(1, Math.floor(batchSize));
  let batch: IndexPoint[] = [];
  for await (const rows of result.yieldRowObjectJs()) {
    for (const r of rows) {
      batch.push(toPoint(r, shard));
      if (batch.length < size) continue;
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function toPoint(r: Record<string, unknown>, shard: number): IndexPoint {
  const key = { system_id: String(r.system_id), id: String(r.point_id) };
  const extra = shownFields(r);
  return {
    key,
    vector: Float32Array.from(r.embedding as number[]),
    payload: {
      ...key,
      kind: String(r.kind),
      project: r.project === null ? null : String(r.project),
      timestamp: String(r.timestamp),
      shard,
      tier: 'hot',
    },
    ...(extra && { extra }),
  };
}

/** The keys of every point of the shard. */
export async function hotShardKeys(conn: DuckDBConnection, shard: number): Promise<RecordKey[]> {
  const db = shardDbName(shard);
  const reader = await conn.runAndReadAll(
    `SELECT system_id, point_id FROM (${RECORDS.from(db)})
     UNION ALL SELECT system_id, point_id FROM (${PASSAGES.from(db)})`,
  );
  return (reader.getRows() as [string, string][]).map(([system_id, id]) => ({ system_id, id }));
}

export async function hotShardCount(conn: DuckDBConnection, shard: number): Promise<number> {
  const db = shardDbName(shard);
  const reader = await conn.runAndReadAll(
    `SELECT (SELECT count(*) FROM ${db}.memories)
          + (SELECT count(*) FROM ${db}.memory_passages p JOIN ${db}.memories m USING (system_id, id)) AS n`,
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}

/** `keySetFingerprint` of every point of the shard (one pass over its keys). */
export async function hotShardFingerprint(conn: DuckDBConnection, shard: number): Promise<bigint> {
  return keySetFingerprint(await hotShardKeys(conn, shard));
}
