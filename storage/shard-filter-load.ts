import type { DuckDBConnection } from '@duckdb/node-api';
import { ShardFilter } from './shard-filter';
import { filterKey } from './write-plan';

/**
 * Fills a shard's filter when the shard is attached: every key the shard ever stored (the
 * key index, whatever tier holds the record now), its chunk rows and its completions.
 */
export async function loadShardFilter(conn: DuckDBConnection, db: string): Promise<ShardFilter> {
  const filter = new ShardFilter();
  const records = await conn.runAndReadAll(
    `SELECT system_id, id, content_sha256 FROM ${db}.record_keys`,
  );
  for (const [systemId, id, sha] of records.getRows() as [string, string, string][]) {
    filter.add(filterKey.record(systemId, id));
    filter.add(filterKey.content(systemId, sha));
  }
  const chunks = await conn.runAndReadAll(
    `SELECT system_id, upload_id, part, part_count, chunk, chunk_count FROM ${db}.upload_chunks`,
  );
  for (const [systemId, uploadId, part, partCount, chunk, chunkCount] of chunks.getRows() as [
    string,
    string,
    number,
    number,
    number,
    number,
  ][]) {
    filter.add(filterKey.chunk(systemId, uploadId, { part, partCount, chunk, chunkCount }));
  }
  const completed = await conn.runAndReadAll(
    `SELECT system_id, upload_id FROM ${db}.uploads_completed`,
  );
  for (const [systemId, uploadId] of completed.getRows() as [string, string][])
    filter.add(filterKey.upload(systemId, uploadId));
  return filter;
}
