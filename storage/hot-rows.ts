import type { DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from './hot-schema';
import type { HotIndexHit } from './hot-index';
import { toSearchHit, type HotHit } from './search-hit';
import { isoSql, isoToMicros } from './time';
import { recordKey, type NewRow } from './write-plan';

/** What a search hit shows of a hot record, besides its key, shard and similarity. */
interface HotRow {
  kind: string;
  content: string;
  /** ISO-8601 UTC with milliseconds, as the DuckDB path renders it */
  timestamp: string;
  project: string | null;
  tags: string[];
  /** JSON text, parsed per hit (toSearchHit): hits are few, records many */
  metadata: string;
  upload_id: string;
  /** [start, end] of each passage of a long text */
  passages: [number, number][];
}

/**
 * The displayed fields of every hot record, in memory, so that a search turns its index hits
 * into results without a DuckDB query per shard (each costs ≥ 0.5 ms, however small). Loaded
 * from the shards when the store opens, kept current by the same writes and re-syncs as the
 * vector index; memory grows with the hot tier's text.
 */
export class HotRows {
  /** shard → record key → row */
  private readonly shards = new Map<number, Map<string, HotRow>>();

  static async load(conn: DuckDBConnection, shards: number[]): Promise<HotRows> {
    const rows = new HotRows();
    for (const shard of shards) await rows.reload(conn, shard);
    return rows;
  }

  private shardRows(shard: number): Map<string, HotRow> {
    let rows = this.shards.get(shard);
    if (!rows) this.shards.set(shard, (rows = new Map()));
    return rows;
  }

  /** The records (and passages) a shard transaction stored. */
  add(shard: number, newRows: NewRow[]): void {
    const rows = this.shardRows(shard);
    for (const { input, record: r } of newRows) {
      rows.set(recordKey(input.message.system_id, r.id), {
        kind: r.kind,
        content: r.content,
        timestamp: new Date(Number(isoToMicros(r.timestamp) / 1000n)).toISOString(),
        project: r.project,
        tags: r.tags,
        metadata: JSON.stringify(r.metadata),
        upload_id: input.message.upload_id,
        passages: (r.passages ?? []).map((p) => [p.start, p.end]),
      });
    }
  }

  /** Makes the shard's rows equal to its records after changes made outside `add`. */
  async reload(conn: DuckDBConnection, shard: number): Promise<void> {
    const rows = new Map<string, HotRow>();
    const db = shardDbName(shard);
    const reader = await conn.runAndReadAll(
      `SELECT m.system_id, m.id, m.kind, m.content, ${isoSql('m.ts')} AS timestamp, m.project,
         m.tags, m.metadata, m.upload_id,
         (SELECT list([p.char_start, p.char_end] ORDER BY p.passage) FROM ${db}.memory_passages p
           WHERE p.system_id = m.system_id AND p.id = m.id) AS passages
       FROM ${db}.memories m`,
    );
    for (const r of reader.getRowObjectsJS()) {
      rows.set(recordKey(String(r.system_id), String(r.id)), {
        kind: String(r.kind),
        content: String(r.content),
        timestamp: String(r.timestamp),
        project: r.project === null ? null : String(r.project),
        tags: (r.tags as string[]) ?? [],
        metadata: String(r.metadata),
        upload_id: String(r.upload_id),
        passages: ((r.passages as number[][] | null) ?? []).map(([s, e]) => [s!, e!]),
      });
    }
    this.shards.set(shard, rows);
  }

  /** The search results of a shard's index hits; records no longer stored are left out. */
  hits(shard: number, hits: HotIndexHit[]): HotHit[] {
    const rows = this.shards.get(shard);
    const out: HotHit[] = [];
    for (const h of hits) {
      const row = rows?.get(recordKey(h.system_id, h.id));
      if (!row) continue;
      const span = h.passage === undefined ? undefined : row.passages[h.passage];
      const hit = { ...row, system_id: h.system_id, id: h.id, similarity: h.similarity, shard };
      out.push({
        ...toSearchHit(hit, 'hot'),
        ...(span && { passage: { index: h.passage!, start: span[0], end: span[1] } }),
      });
    }
    return out;
  }
}
