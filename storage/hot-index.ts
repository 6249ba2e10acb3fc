import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { decodeVector } from '../embedding';
import { yieldToEventLoop } from '../infra';
import { EMBEDDING_DIM } from '../schemas';
import { markSeq, readCommitMark, readCommitMarks } from './commit-mark';
import type { HotHit } from './search-hit';
import {
  hotShardKeys,
  hotShardPoints,
  parsePointId,
  passagePointId,
} from './vector-index/hot-source';
import type {
  IndexHit,
  IndexPoint,
  PointPayload,
  RecordKey,
  SearchFilter,
} from './vector-index/types';
import { isoToEpochMs, recordKeyString } from './vector-index/types';
import {
  IndexFileError,
  UsearchIndex,
  type UsearchIndexOptions,
} from './vector-index/usearch-index';
import type { NewRow } from './write-plan';

const INDEX_FILE = 'hot.usearch';
/**
 * Points per usearch call when a bulk load's points are added at once: each call splits its
 * points over every core, and larger calls keep them busier (a probe of 20,000 points built
 * about 1.6× faster in one call than in calls of 2,000).
 */
const BULK_POINTS = 16_384;
/**
 * Points per usearch call on the live write path, with a turn of the event loop between
 * calls: ~0.15 ms of graph work per point, so searches wait a few ms at most, not the whole
 * transaction's graph inserts.
 */
const LIVE_POINTS_PER_TURN = 32;

export interface HotIndexHit {
  system_id: string;
  id: string;
  /** the passage that matched; undefined: the record's own vector */
  passage?: number | undefined;
  similarity: number;
}

/** The graph's settings; an index file saved with another quantisation is rebuilt. */
export type HotGraphOptions = Pick<
  UsearchIndexOptions,
  'quantization' | 'expansionSearch' | 'residentBytes' | 'graphThread'
>;

/** The index file read and checked ahead of the open (HotIndex.preload), or why it could not be. */
export type PreloadedIndex = { index: UsearchIndex } | { error: unknown };

export interface HotIndexOpen {
  index: HotIndex;
  rebuilt: boolean;
  reason?: string | undefined;
}

/**
 * The hot tier's HNSW index (usearch): every record of every attached shard, plus one point
 * per passage of a long text, each point keeping what a search result shows (read from the
 * index's file, not held in memory). One index per process rather than per shard: a query
 * over all systems costs one graph search, not one per shard. DuckDB stays the source of
 * truth: the index is rebuilt from the shards when its file is missing or corrupt; a shard
 * whose commit mark (commit-mark.ts) is not the one saved with the file (a crash before the
 * last save) is re-synced from its rows at open, and so is a shard after bulk changes (tier
 * moves, restores).
 */
export class HotIndex {
  /** a stale shard is repaired at its next write: syncing the embedded index is cheap */
  readonly repairOnWrite = true;
  private dirty = false;
  /**
   * Shards whose mark a transaction moved and the index followed, and that no save has
   * recorded since: until a save records that mark, the next transactions may keep it
   * (keptMark) rather than move it again, since no saved file vouches for it yet.
   */
  private readonly keepable = new Set<number>();

  /** `marks`: per shard, the commit mark of the rows the points match */
  private constructor(
    private readonly index: UsearchIndex,
    private readonly marks: Map<number, string>,
  ) {}

  /** Deletes the index files of a hot directory (vectors changed behind the index's back). */
  static async remove(hotDir: string): Promise<void> {
    await rm(join(hotDir, 'index'), { recursive: true, force: true });
  }

  /**
   * Reads and checks the index file (hashing it: the longest part of an open) without DuckDB,
   * so that it can run while the shards attach. Never rejects.
   */
  static preload(hotDir: string, graph: HotGraphOptions = {}): Promise<PreloadedIndex> {
    return UsearchIndex.open(join(hotDir, 'index', INDEX_FILE), graph).then(
      (index) => ({ index }),
      (error: unknown) => ({ error }),
    );
  }

  /** Closes what `preload` opened, when nothing took it. */
  static async discard(preloaded: Promise<PreloadedIndex>): Promise<void> {
    const loaded = await preloaded;
    if ('index' in loaded) await loaded.index.close();
  }

  static async open(
    hotDir: string,
    conn: DuckDBConnection,
    shards: number[],
    graph: HotGraphOptions = {},
    preloaded: Promise<PreloadedIndex> = HotIndex.preload(hotDir, graph),
  ): Promise<HotIndexOpen> {
    const path = join(hotDir, 'index', INDEX_FILE);
    const marks = await readCommitMarks(conn, shards).catch(async (err: unknown) => {
      await HotIndex.discard(preloaded);
      throw err;
    });
    const loaded = await preloaded;
    if ('error' in loaded) {
      if (!(loaded.error instanceof IndexFileError)) throw loaded.error;
      const index = await HotIndex.rebuild(path, conn, shards, graph, marks);
      return { index, rebuilt: true, reason: loaded.error.message };
    }
    const saved = loaded.index;
    const index = new HotIndex(saved, marks);
    const reason = await index.catchUp(conn, shards, saved.savedMarks ?? {}).catch(async (err) => {
      await saved.close();
      throw err;
    });
    return { index, rebuilt: false, reason };
  }

  private static async rebuild(
    path: string,
    conn: DuckDBConnection,
    shards: number[],
    graph: HotGraphOptions,
    marks: Map<number, string>,
  ): Promise<HotIndex> {
    const index = new HotIndex(UsearchIndex.create({ ...graph, path, mode: 'load' }), marks);
    for (const shard of shards)
      for await (const batch of hotShardPoints(conn, shard, 2000, true))
        await index.index.upsert(batch);
    index.dirty = true;
    await index.save();
    return index;
  }

  /**
   * Re-syncs the shards whose mark differs from the one saved with the file (changed after
   * the last save, or new), drops the points of shards no longer attached; the others are
   * trusted as saved. Returns what it did, when anything.
   */
  private async catchUp(
    conn: DuckDBConnection,
    shards: number[],
    saved: Record<string, string>,
  ): Promise<string | undefined> {
    const attached = new Set(shards);
    const stale = shards.filter((s) => saved[String(s)] !== this.marks.get(s));
    const gone = [...this.index.shardsHeld()].filter((s) => !attached.has(s));
    if (stale.length === 0 && gone.length === 0) return undefined;
    const keys = this.index.keysOfShards([...stale, ...gone]);
    for (const shard of gone) await this.index.remove(keys.get(shard)!);
    for (const shard of stale) await this.syncKeys(conn, shard, keys.get(shard)!);
    this.dirty = true;
    return `re-synced ${stale.length} shards changed since the index was saved${
      gone.length ? `, dropped ${gone.length} shards no longer there` : ''
    }`;
  }

  /**
   * Adds the records (and passages) a shard transaction stored; `mark`: the shard's commit
   * mark after it. A mark that does not follow the last one known means a commit the index
   * never saw: the shard's mark is forgotten (a restart re-syncs it) and this throws, so
   * that the store repairs the shard.
   */
  async add(shard: number, rows: NewRow[], mark?: string): Promise<void> {
    const points = rows.flatMap((row) => pointsOfRow(shard, row, true));
    for (let start = 0; start < points.length; start += LIVE_POINTS_PER_TURN) {
      if (start > 0) await yieldToEventLoop();
      await this.index
        .upsert(points.slice(start, start + LIVE_POINTS_PER_TURN))
        .catch((err: unknown) => {
          // committed under a kept mark, these rows must not be vouched for by the next save
          this.forgetMark(shard);
          throw err;
        });
      this.dirty = true;
    }
    if (mark !== undefined) this.follow(shard, mark);
  }

  /**
   * The shard's mark, when the next transaction may commit without moving it: a save has
   * not recorded it yet, so its rows are re-synced at open unless a later save (which makes
   * the next transaction move the mark again) vouches for them.
   */
  keptMark(shard: number): string | undefined {
    return this.keepable.has(shard) ? this.marks.get(shard) : undefined;
  }

  private forgetMark(shard: number): void {
    this.marks.delete(shard);
    this.keepable.delete(shard);
  }

  /**
   * A bulk load's writes of a shard (HotVectors.addWrites): their marks checked first, then
   * every point staged in batches of BULK_POINTS: searchable at once, in the graph once its
   * background build takes it (UsearchIndex.stage).
   */
  async addWrites(
    shard: number,
    writes: { rows: NewRow[]; mark?: string | undefined }[],
  ): Promise<number> {
    let known = this.marks.get(shard);
    for (const { mark } of writes) {
      if (mark === undefined || mark === known) continue;
      if (!follows(known, mark))
        throw new Error(`shard ${shard}: a commit the deferred writes miss (${known} → ${mark})`);
      known = mark;
    }
    const points = writes.flatMap((w) => w.rows.flatMap((row) => pointsOfRow(shard, row, true)));
    for (let i = 0; i < points.length; i += BULK_POINTS)
      await this.index.stage(points.slice(i, i + BULK_POINTS));
    this.keepable.delete(shard);
    if (known !== undefined) this.marks.set(shard, known);
    this.dirty = true;
    return points.length;
  }

  private follow(shard: number, mark: string): void {
    const known = this.marks.get(shard);
    if (known === mark) return;
    if (!follows(known, mark)) {
      this.forgetMark(shard);
      throw new Error(`shard ${shard}: a commit the vector index missed (${known} → ${mark})`);
    }
    this.marks.set(shard, mark);
    this.keepable.add(shard);
    this.dirty = true;
  }

  /** Makes the shard's points equal to its records after changes made outside `add`. */
  async sync(conn: DuckDBConnection, shard: number): Promise<{ added: number; removed: number }> {
    const mark = await readCommitMark(conn, shard); // the caller holds the shard: it stays so
    this.forgetMark(shard);
    const synced = await this.syncKeys(conn, shard, this.index.keysOfShards([shard]).get(shard)!);
    this.marks.set(shard, mark);
    this.dirty = true;
    return synced;
  }

  private async syncKeys(conn: DuckDBConnection, shard: number, inIndex: RecordKey[]) {
    const inDb = new Set((await hotShardKeys(conn, shard)).map(recordKeyString));
    const stale = inIndex.filter((k) => !inDb.delete(recordKeyString(k)));
    await this.index.remove(stale);
    let added = 0;
    if (inDb.size > 0) {
      for await (const batch of hotShardPoints(conn, shard, 2000, true)) {
        const missing = batch.filter((p) => inDb.has(recordKeyString(p.key)));
        await this.index.upsert(missing);
        added += missing.length;
      }
    }
    if (stale.length || added) this.dirty = true;
    return { added, removed: stale.length };
  }

  /**
   * The search results of a shard's hits, from what the points keep (no DuckDB read);
   * records no longer indexed are left out.
   */
  hits(shard: number, hits: HotIndexHit[]): HotHit[] {
    const out: HotHit[] = [];
    for (const h of hits) {
      const point = this.index.shownOf({ system_id: h.system_id, id: h.id });
      if (!point) continue;
      const { payload, extra: shown } = point;
      const span =
        h.passage === undefined
          ? undefined
          : this.index.extraOf({ system_id: h.system_id, id: passagePointId(h.id, h.passage) });
      out.push({
        system_id: h.system_id,
        id: h.id,
        kind: payload.kind,
        content: String(shown.content),
        timestamp: payload.timestamp,
        project: payload.project,
        tags: (shown.tags as string[] | undefined) ?? [],
        metadata: JSON.parse(String(shown.metadata_json)) as Record<string, unknown>,
        upload_id: String(shown.upload_id),
        similarity: h.similarity,
        shard,
        tier: 'hot',
        ...(span && {
          passage: {
            index: h.passage!,
            start: Number(span.passage_start),
            end: Number(span.passage_end),
          },
        }),
      });
    }
    return out;
  }

  /**
   * The records nearest to the query, best first, each once (at its best point: the record's
   * own vector or one of its passages), at most `limit`.
   */
  search(
    query: Float32Array,
    opts: { limit: number; filter?: SearchFilter | undefined },
  ): Promise<HotIndexHit[]> {
    return nearestRecords(
      (k) => this.index.search(query, { limit: k, filter: opts.filter }),
      opts.limit,
    );
  }

  count(): Promise<number> {
    return this.index.count();
  }

  get waiting(): number {
    return this.index.waiting;
  }

  built(): Promise<void> {
    return this.index.built();
  }

  /**
   * Persists the index, with each shard's mark, when either changed since the last save.
   * `busy`: shards a transaction may be writing now (it may keep the mark): their marks are
   * left out, so the next open re-syncs them. A mark recorded is moved by the next write.
   */
  async save(busy: (shard: number) => boolean = () => false): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const marks = () => {
      const recorded = [...this.marks].filter(([shard]) => !busy(shard));
      for (const [shard] of recorded) this.keepable.delete(shard);
      return Object.fromEntries(recorded.map(([s, m]) => [String(s), m]));
    };
    await this.index.save(marks).catch((err: unknown) => {
      this.dirty = true;
      throw err;
    });
  }

  async close(busy?: (shard: number) => boolean): Promise<void> {
    await this.save(busy);
    await this.index.close();
  }
}

/** Whether `mark` is the commit right after `known` (the first of a shard: seq 1). */
const follows = (known: string | undefined, mark: string) =>
  known === undefined ? markSeq(mark) === 1 : markSeq(known) + 1 === markSeq(mark);

/**
 * How many points per wanted record the graph is asked for. Its int8 order is close, not
 * exact: the candidates are re-ranked by exact cosine, and reading their vectors is much of a
 * search's cost. At 1M records (bench:query) recall@10 was 0.876 with 1 point per record,
 * 0.978 with 2 and 0.979 with 3.
 */
export const POINTS_PER_RECORD = 2;

/**
 * The `limit` best records of an index where a record may own several points (its passages):
 * `limit` × POINTS_PER_RECORD points, and three times as many while passages of the same
 * records fill them (and the index had more). When they hold `limit` records, no record left
 * out can rank above those.
 */
export async function nearestRecords(
  search: (k: number) => Promise<IndexHit[]>,
  limit: number,
): Promise<HotIndexHit[]> {
  for (let k = limit * POINTS_PER_RECORD; ; k *= 3) {
    const raw = await search(k);
    const best = bestPerRecord(raw, limit);
    if (best.length >= limit || raw.length < k) return best;
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
