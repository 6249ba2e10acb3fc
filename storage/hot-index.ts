import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { decodeVector } from '../embedding';
import { EMBEDDING_DIM } from '../schemas';
import {
  hotShardCount,
  hotShardFingerprint,
  hotShardKeys,
  hotShardPoints,
  parsePointId,
  passagePointId,
} from './vector-index/hot-source';
import type { IndexHit, IndexPoint, PointPayload, SearchFilter } from './vector-index/types';
import { isoToEpochMs, recordKeyString } from './vector-index/types';
import { UsearchIndex, type UsearchIndexOptions } from './vector-index/usearch-index';
import type { NewRow } from './write-plan';

const INDEX_FILE = 'hot.usearch';

export interface HotIndexHit {
  system_id: string;
  id: string;
  /** the passage that matched; undefined: the record's own vector */
  passage?: number | undefined;
  similarity: number;
}

/** The graph's settings; an index file saved with another quantisation is rebuilt. */
export type HotGraphOptions = Pick<UsearchIndexOptions, 'quantization' | 'expansionSearch'>;

export interface HotIndexOpen {
  index: HotIndex;
  rebuilt: boolean;
  reason?: string | undefined;
}

/**
 * The hot tier's HNSW index (usearch): every record of every attached shard, plus one point
 * per passage of a long text. One index per process rather than per shard: a query over all
 * systems costs one graph search, not one per shard. DuckDB stays the source of truth: the
 * index is rebuilt from the shards when its file is missing, corrupt or stale (a crash before
 * the last save), and re-synced with a shard after bulk changes (tier moves, restores).
 */
export class HotIndex {
  /** a stale shard is repaired at its next write: syncing the embedded index is cheap */
  readonly repairOnWrite = true;
  private dirty = false;

  private constructor(private readonly index: UsearchIndex) {}

  /** Deletes the index files of a hot directory (vectors changed behind the index's back). */
  static async remove(hotDir: string): Promise<void> {
    await rm(join(hotDir, 'index'), { recursive: true, force: true });
  }

  static async open(
    hotDir: string,
    conn: DuckDBConnection,
    shards: number[],
    graph: HotGraphOptions = {},
  ): Promise<HotIndexOpen> {
    const opened = await UsearchIndex.openOrRebuild(
      join(hotDir, 'index', INDEX_FILE),
      async function* () {
        for (const shard of shards) yield* hotShardPoints(conn, shard);
      },
      {
        expectedCount: async () => sum(await mapSerial(shards, (s) => hotShardCount(conn, s))),
        expectedFingerprint: async () =>
          xor(await mapSerial(shards, (s) => hotShardFingerprint(conn, s))),
        ...graph,
      },
    );
    return { index: new HotIndex(opened.index), rebuilt: opened.rebuilt, reason: opened.reason };
  }

  /** Adds the records (and passages) a shard transaction stored. */
  async add(shard: number, rows: NewRow[]): Promise<void> {
    const points = rows.flatMap((row) => pointsOfRow(shard, row));
    if (points.length === 0) return;
    await this.index.upsert(points);
    this.dirty = true;
  }

  /** Makes the shard's points equal to its records after changes made outside `add`. */
  async sync(conn: DuckDBConnection, shard: number): Promise<{ added: number; removed: number }> {
    const inDb = new Set((await hotShardKeys(conn, shard)).map(recordKeyString));
    const inIndex = this.index.keysWhere((p) => p.shard === shard);
    const stale = inIndex.filter((k) => !inDb.delete(recordKeyString(k)));
    await this.index.remove(stale);
    let added = 0;
    if (inDb.size > 0) {
      for await (const batch of hotShardPoints(conn, shard)) {
        const missing = batch.filter((p) => inDb.has(recordKeyString(p.key)));
        await this.index.upsert(missing);
        added += missing.length;
      }
    }
    if (stale.length || added) this.dirty = true;
    return { added, removed: stale.length };
  }

  /**
   * The records nearest to the query, best first, each once (at its best point: the record's
   * own vector or one of its passages), at most `limit`.
   */
  async search(
    query: Float32Array,
    opts: { limit: number; filter?: SearchFilter | undefined },
  ): Promise<HotIndexHit[]> {
    // a record may hold several of the nearest points: ask for more, keep the best per record
    const raw = await this.index.search(query, { limit: opts.limit * 3, filter: opts.filter });
    return bestPerRecord(raw, opts.limit);
  }

  count(): Promise<number> {
    return this.index.count();
  }

  /** Persists the index when it changed since the last save. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.index.save();
  }

  async close(): Promise<void> {
    await this.save();
    await this.index.close();
  }
}

/** Index hits (records and passages, best first) → each record once at its best, at most `limit`. */
export function bestPerRecord(raw: IndexHit[], limit: number): HotIndexHit[] {
  const best = new Map<string, HotIndexHit>();
  for (const hit of raw) {
    const { id, passage } = parsePointId(hit.key.id);
    const key = recordKeyString({ system_id: hit.key.system_id, id });
    if (!best.has(key))
      best.set(key, { system_id: hit.key.system_id, id, passage, similarity: hit.similarity });
  }
  return [...best.values()].slice(0, limit);
}

/**
 * The points of a stored row: its own vector and one per passage. `shown`: each with what a
 * search result shows (as hotShardPoints gives it), the timestamp in the shards' UTC form.
 */
export function pointsOfRow(shard: number, row: NewRow, shown = false): IndexPoint[] {
  const { input, record, vector } = row;
  const system_id = input.message.system_id;
  const timestamp = shown
    ? new Date(isoToEpochMs(record.timestamp)).toISOString()
    : record.timestamp;
  const payload = (id: string): PointPayload => ({
    system_id,
    id,
    kind: record.kind,
    project: record.project,
    timestamp,
    shard,
    tier: 'hot',
  });
  const own: IndexPoint = {
    key: { system_id, id: record.id },
    vector,
    payload: payload(record.id),
    ...(shown && { extra: shownOfRow(row) }),
  };
  const passages = (record.passages ?? []).map((p, i): IndexPoint => {
    const id = passagePointId(record.id, i);
    const vector = decodeVector(p.vector, EMBEDDING_DIM);
    const extra = { passage: i, passage_start: p.start, passage_end: p.end };
    return { key: { system_id, id }, vector, payload: payload(id), ...(shown && { extra }) };
  });
  return [own, ...passages];
}

const shownOfRow = ({ input, record }: NewRow) => ({
  content: record.content,
  tags: record.tags,
  metadata_json: JSON.stringify(record.metadata),
  upload_id: input.message.upload_id,
});

async function mapSerial<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const xor = (xs: bigint[]) => xs.reduce((a, b) => a ^ b, 0n);
