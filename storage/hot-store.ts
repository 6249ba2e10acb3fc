import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { duckdbFilesBytes, numberedFiles } from './disk';
import { countRows, recordKeys } from './shard-tables';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { shardDbName, shardFileName } from './hot-schema';
import { prepareShard, pruneChunks } from './shard-migrate';
import { KeyedLock, Pool } from './keyed-lock';
import { loadShardFilter } from './shard-filter-load';
import type { ShardFilter } from './shard-filter';
import { writeShardTransaction, type ShardWriteResult } from './shard-transaction';
import { filterKey, type ChunkInput, type NewRow } from './write-plan';
import {
  flagAnnounced,
  incompleteUploadCount,
  incompleteUploads,
  unannouncedUploads,
  type IncompleteUpload,
  type UnannouncedUpload,
  type UploadRef,
} from './announcements';
import { HotIndex, type HotGraphOptions, type HotIndexHit, type PreloadedIndex } from './hot-index';
import { HOT_INDEX_DEFAULTS, HOT_STORE_DEFAULTS, type VectorStoreOptions } from '../infra';
import type { HotVectors } from './hot-vectors';
import { openHotVectors } from './open-hot-vectors';
import { toSearchHit, type HotHit } from './search-hit';
import type { SearchFilter } from './vector-index/types';
import type { ShardSink } from './shard-sink';
import { hitRowsSql, type HitRowKey } from './hit-rows';
import { bumpCommitMark } from './commit-mark';
import { DeferredIndex, DeferredShards, type DeferredWrite } from './deferred-index';

/**
 * ALPRD, which DuckDB picks for a model's float32 vectors, stored 100,000 of them in 249 MiB
 * where uncompressed took 161 MiB, and its checkpoint took ~1.5× as long. ALP, which
 * compresses the hashing embedder's sparse vectors to two thirds, stays.
 */
const HOT_DISABLED_COMPRESSION = 'alprd';

export interface SearchOptions {
  limit: number;
  systemId?: string | undefined;
  shards?: number[] | undefined;
  /** equality and time-range filters besides the system */
  filter?: SearchFilter | undefined;
  /** only vectors of this model are compared (another model's similarity means nothing) */
  model?: string | undefined;
}

export interface HotStoreOptions {
  concurrency: number;
  /** threads of the DuckDB instance; default HOT_STORE_DEFAULTS.duckdbThreads (1) */
  duckdbThreads?: number | undefined;
  /**
   * The embedder model whose vectors the store holds. Opening a store that holds another
   * model's vectors fails (re-embed first) unless `allowOtherModels` (the re-embed itself).
   */
  model: string;
  allowOtherModels?: boolean | undefined;
  /** how often the vector index is saved when it changed (ms); default 5 min. A crash loses
   * nothing: the shards written since the last save are re-synced at the next open. */
  indexSaveIntervalMs?: number | undefined;
  /**
   * false: no vector index (offline tools that change vectors: the index file is removed,
   * the next store that opens with an index rebuilds it). Default true.
   */
  index?: boolean | undefined;
  /**
   * Where search results' fields come from: 'memory' (default): what the vector index keeps
   * with each point, read from its file (not held in memory); 'duckdb': one query per shard
   * hit (slower). A store without such points (Qdrant) reads DuckDB either way.
   */
  searchRows?: 'memory' | 'duckdb' | undefined;
  /** the vector index's graph: quantisation and ef at query time */
  graph?: HotGraphOptions | undefined;
  /** chunk rows older than this are pruned at attach and by pruneChunks(); default: kept */
  chunkKeepMs?: number | undefined;
  /** where the vectors live; default the embedded index (Qdrant: no in-memory rows either) */
  vectorStore?: VectorStoreOptions | undefined;
}

export type { HotHit } from './search-hit';

/** The hot tier holds vectors of another model than the embedder's. */
export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError';
}

/**
 * The hot tier: one DuckDB file per shard, all attached to one in-process DuckDB
 * instance. This process is the only writer of those files (DuckDB allows one).
 */
export class HotStore implements ShardSink {
  private readonly attached = new Set<number>();
  /** loaded at a shard's first write, not at open: a start reads no shard's keys */
  private readonly filters = new Map<number, ShardFilter>();
  /** attaches run one at a time: they share the admin connection (and its migrations' transactions) */
  private readonly attachLock = new KeyedLock<'admin'>();
  private readonly shardLock = new KeyedLock<number>();
  /** shards whose vector index missed rows written after COMMIT; repaired at their next write */
  private readonly staleIndex = new Set<number>();
  /** shards bulk loads write without per-write index adds, and the writes they took */
  private readonly deferredIndex = new DeferredShards();
  private closed = false;
  private index: HotVectors | undefined;
  private saveTimer?: NodeJS.Timeout;
  /** how the vector index was opened: from its file, or rebuilt (and why) */
  indexOpened: { rebuilt: boolean; reason?: string | undefined } = { rebuilt: false };

  private constructor(
    private readonly dir: string,
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    private readonly pool: Pool<DuckDBConnection>,
    readonly model: string,
    private readonly options: HotStoreOptions,
  ) {}

  static async open(dir: string, opts: HotStoreOptions): Promise<HotStore> {
    mkdirSync(dir, { recursive: true });
    const threads = opts.duckdbThreads ?? HOT_STORE_DEFAULTS.duckdbThreads;
    const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
    const admin = await instance.connect();
    // a setting DuckDB takes by SET only (as an instance option it is ignored)
    await admin.run(`SET GLOBAL disabled_compression_methods = '${HOT_DISABLED_COMPRESSION}'`);
    const conns = await Promise.all(
      Array.from({ length: opts.concurrency }, () => instance.connect()),
    );
    const store = new HotStore(dir, instance, admin, new Pool(conns), opts.model, opts);
    const shared = opts.vectorStore?.kind === 'qdrant';
    // the embedded index's file is read and checked while the shards attach (off this thread)
    let preloaded = opts.index !== false && !shared ? HotIndex.preload(dir, opts.graph) : undefined;
    try {
      for (const shard of numberedFiles(dir, /^shard-(\d{3})\.duckdb$/)) await store.attach(shard);
      if (!opts.allowOtherModels) await store.assertOneModel();
      if (opts.index === false) {
        if (!shared) await HotIndex.remove(dir);
      } else {
        const taken = preloaded;
        preloaded = undefined; // the open owns it now
        await store.openIndex(
          opts.indexSaveIntervalMs ?? HOT_INDEX_DEFAULTS.saveIntervalMs,
          opts.graph,
          taken,
        );
      }
    } catch (err) {
      if (preloaded) await HotIndex.discard(preloaded);
      store.closeConnections();
      throw err;
    }
    return store;
  }

  private async openIndex(
    saveEveryMs: number,
    graph: HotGraphOptions | undefined,
    preloaded: Promise<PreloadedIndex> | undefined,
  ): Promise<void> {
    const opened = await openHotVectors(this.dir, this.admin, this.shards, {
      graph,
      store: this.options.vectorStore,
      preloaded,
    });
    const index = opened.index;
    this.index = index;
    this.indexOpened = { rebuilt: opened.rebuilt, reason: opened.reason };
    for (const shard of opened.stale) this.staleIndex.add(shard);
    this.saveTimer = setInterval(() => void this.saveIndex().catch(() => undefined), saveEveryMs);
    this.saveTimer.unref();
  }

  private async assertOneModel(): Promise<void> {
    const others = await this.otherModels();
    if (others.length === 0) return;
    throw new ModelMismatchError(
      `the hot tier holds vectors of ${others.join(', ')}, the embedder is ${this.model}: ` +
        `run "akosha reembed" with this embedder, or configure the embedder those vectors came from`,
    );
  }

  /** Models other than the store's whose vectors some hot record holds. */
  async otherModels(): Promise<string[]> {
    if (this.shards.length === 0) return [];
    const union = this.shards
      .map((s) => `SELECT DISTINCT embedder_model FROM ${shardDbName(s)}.memories`)
      .join(' UNION ');
    const reader = await this.admin.runAndReadAll(
      `SELECT embedder_model FROM (${union}) WHERE embedder_model <> $1 ORDER BY 1`,
      [this.model],
    );
    return reader.getRows().map((r) => String(r[0]));
  }

  get shards(): number[] {
    return [...this.attached].sort((a, b) => a - b);
  }

  /** Bytes of the shard files on disk (database and write-ahead log). */
  diskBytes(): number {
    return duckdbFilesBytes(this.shards.map((s) => this.shardFile(s)));
  }

  shardFile(shard: number): string {
    return join(this.dir, shardFileName(shard));
  }

  /** Attaches the shard's file, creating file and tables when missing. */
  attach(shard: number): Promise<void> {
    return this.attachLock.run('admin', async () => {
      if (this.attached.has(shard)) return;
      const db = shardDbName(shard);
      await this.admin.run(`ATTACH '${this.shardFile(shard)}' AS ${db}`);
      await prepareShard(this.admin, db, this.chunksBefore(Date.now()));
      this.attached.add(shard);
    });
  }

  /** The shard's dedupe filter, loaded at its first use (under the shard's lock). */
  private async filterOf(shard: number): Promise<ShardFilter> {
    let filter = this.filters.get(shard);
    if (!filter) {
      filter = await this.pool.use((conn) => loadShardFilter(conn, shardDbName(shard)));
      this.filters.set(shard, filter);
    }
    return filter;
  }

  /**
   * Writes the chunks in one transaction, then adds what it stored to the vector index.
   * Chunks embedded by another model than the store's are not written: they come back in
   * `otherModel` (an index never mixes two models' vectors).
   */
  /** `fence`: checked right before COMMIT; when it does not hold, nothing is committed (throws). */
  async writeShard(
    shard: number,
    inputs: ChunkInput[],
    fence?: () => boolean,
  ): Promise<ShardWriteResult & { otherModel: ChunkInput[] }> {
    await this.attach(shard);
    const otherModel = inputs.filter((i) => i.message.embedder.model !== this.model);
    const accepted = inputs.filter((i) => i.message.embedder.model === this.model);
    const result = await this.shardLock.run(shard, async () => {
      const filter = await this.filterOf(shard);
      const keptMark = this.keptMark(shard);
      const bulk = this.deferredIndex.has(shard);
      const written = await this.pool.use((conn) =>
        writeShardTransaction(conn, shardDbName(shard), filter, accepted, {
          fence,
          keptMark,
          bulk,
        }),
      );
      await this.indexRows(shard, written.rows, written.mark);
      return written;
    });
    return { ...result, otherModel };
  }

  /** A mark the index follows write by write can be kept; a deferred or stale shard's cannot. */
  private keptMark(shard: number): string | undefined {
    if (this.deferredIndex.has(shard) || this.staleIndex.has(shard)) return undefined;
    return this.index?.keptMark?.(shard);
  }

  /** Saves the vector index; the marks of shards being written are left out of the file. */
  saveIndex(): Promise<void> {
    return this.index?.save(this.shardBusy) ?? Promise.resolve();
  }

  private readonly shardBusy = (shard: number) => this.shardLock.held(shard);

  private chunksBefore(nowMs: number): Date | undefined {
    const keepMs = this.options.chunkKeepMs;
    return keepMs === undefined ? undefined : new Date(nowMs - keepMs);
  }

  /** Drops chunk rows past `chunkKeepMs` (the aging pass calls it); returns how many. */
  async pruneChunks(nowMs = Date.now()): Promise<number> {
    const before = this.chunksBefore(nowMs);
    if (!before) return 0;
    let pruned = 0;
    for (const shard of this.shards)
      pruned += await this.shardLock.run(shard, () =>
        this.pool.use((conn) => pruneChunks(conn, shardDbName(shard), before)),
      );
    return pruned;
  }

  /**
   * Adds committed rows to the vector index and the in-memory rows. They are in DuckDB
   * already, so a failure here must not fail the write (a redelivery would find them
   * written and skip them): the shard is marked stale and rebuilt from its rows.
   */
  private async indexRows(shard: number, rows: NewRow[], mark?: string): Promise<void> {
    if (this.deferredIndex.has(shard)) return this.deferredIndex.record(shard, { rows, mark });
    try {
      if (this.staleIndex.has(shard)) {
        // a remote store that failed is not asked again at every write: the upkeep repairs it
        if (!this.index?.repairOnWrite) return;
        await this.pool.use((conn) => this.repairIndex(conn, shard));
      }
      await this.index?.add(shard, rows, mark);
    } catch {
      this.staleIndex.add(shard);
    }
  }

  private async repairIndex(conn: DuckDBConnection, shard: number) {
    const synced = await this.index?.sync(conn, shard);
    this.staleIndex.delete(shard);
    return synced ?? { added: 0, removed: 0 };
  }

  /** Shards whose vector index misses committed rows until their repair. */
  get staleIndexShards(): number[] {
    return [...this.staleIndex].sort((a, b) => a - b);
  }

  /** Rebuilds the index of every stale shard from its rows (a repair that fails stays due). */
  async repairStaleIndexes(): Promise<void> {
    for (const shard of this.staleIndexShards)
      await this.shardLock
        .run(shard, () => this.pool.use((conn) => this.repairIndex(conn, shard)))
        .catch(() => undefined);
  }

  /**
   * Makes the shards' points equal to their rows now (after an offline replay, which has no
   * upkeep to repair them later); throws when the vector store fails (they stay stale).
   */
  async resyncIndex(shards: number[]): Promise<{ added: number; removed: number }> {
    const total = { added: 0, removed: 0 };
    for (const shard of shards) {
      const synced = await this.shardLock.run(shard, () =>
        this.pool.use((conn) =>
          this.repairIndex(conn, shard).catch((err: unknown) => {
            this.staleIndex.add(shard);
            throw err;
          }),
        ),
      );
      total.added += synced.added;
      total.removed += synced.removed;
    }
    return total;
  }

  /**
   * For bulk loads (a replay): the shards passed to `defer` skip the
   * per-write index work until `finish` re-syncs each once (deferred-index.ts).
   */
  deferIndex(): DeferredIndex {
    return new DeferredIndex({
      hold: (shard) => this.deferredIndex.hold(shard),
      release: (shard) => this.deferredIndex.release(shard),
      resync: async (shard, writes) =>
        (writes && (await this.addDeferred(shard, writes))) ?? this.resyncIndex([shard]),
      markStale: (shard) => this.staleIndex.add(shard),
    });
  }

  /** A deferred shard's kept writes added at once; undefined: they do not tell all (re-sync). */
  private addDeferred(shard: number, writes: DeferredWrite[]) {
    const index = this.index;
    if (!index?.addWrites || this.staleIndex.has(shard)) return Promise.resolve(undefined);
    return this.shardLock.run(shard, () =>
      index.addWrites!(shard, writes).then(
        (added) => ({ added, removed: 0 }),
        () => undefined,
      ),
    );
  }

  /** Flags uploads announced, in a transaction of its own: a restart must not announce them again. */
  markAnnounced(shard: number, uploads: UploadRef[]): Promise<void> {
    return this.shardLock.run(shard, () =>
      this.pool.use((conn) => flagAnnounced(conn, shardDbName(shard), uploads)),
    );
  }

  /** Completed uploads whose ingest-complete event is not acknowledged yet (the outbox). */
  unannouncedUploads(shard: number, before: Date, limit = 1000): Promise<UnannouncedUpload[]> {
    if (!this.attached.has(shard)) return Promise.resolve([]);
    return this.pool.use((conn) => unannouncedUploads(conn, shardDbName(shard), before, limit));
  }

  /** Uploads partly written before `before` and still not whole (a producer that died mid-upload). */
  async incompleteUploadCount(before: Date): Promise<number> {
    let n = 0;
    for (const shard of this.shards)
      n += await this.pool.use((conn) => incompleteUploadCount(conn, shardDbName(shard), before));
    return n;
  }

  /** Those uploads of one shard, oldest first. */
  incompleteUploads(shard: number, before: Date, limit = 100): Promise<IncompleteUpload[]> {
    if (!this.attached.has(shard)) return Promise.resolve([]);
    return this.pool.use((conn) => incompleteUploads(conn, shardDbName(shard), before, limit));
  }

  /** The nearest records in the vector index (every attached shard), each once. */
  searchIndex(query: Float32Array, opts: SearchOptions): Promise<HotIndexHit[]> {
    if (!this.index) throw new Error('this hot store was opened without its vector index');
    const filter = { ...opts.filter, ...(opts.systemId && { system_id: opts.systemId }) };
    return this.index.search(query, { limit: opts.limit, filter });
  }

  /** The stored records of index hits of one shard, with their similarity; gone ones are left out. */
  async hitRows(shard: number, hits: HotIndexHit[]): Promise<HotHit[]> {
    if (!this.attached.has(shard) || hits.length === 0) return [];
    const kept = this.options.searchRows === 'duckdb' ? undefined : this.index?.hits?.(shard, hits);
    if (kept) return kept;
    const keys: HitRowKey[] = hits.map((h) => ({ ...h, passage: h.passage ?? -1 }));
    const reader = await this.pool.use((conn) =>
      conn.runAndReadAll(hitRowsSql(shardDbName(shard), shard, keys)),
    );
    return reader.getRowObjectsJS().map((row) => ({
      ...toSearchHit(row, 'hot'),
      ...(Number(row.passage) >= 0 && {
        passage: {
          index: Number(row.passage),
          start: Number(row.char_start),
          end: Number(row.char_end),
        },
      }),
    }));
  }

  /** Points a bulk load stored that the vector index's graph does not hold yet (searched exactly). */
  get indexWaiting(): number {
    return this.index?.waiting ?? 0;
  }

  /** Resolves once the vector index's graph holds every point a bulk load stored. */
  async indexBuilt(): Promise<void> {
    await this.index?.built?.();
  }

  /** Index points (records and passages). */
  indexCount(): Promise<number> {
    return this.index?.count() ?? Promise.resolve(0);
  }

  async count(shard?: number): Promise<number> {
    const shards = shard === undefined ? this.shards : [shard].filter((s) => this.attached.has(s));
    return countRows(
      this.admin,
      shards.map((s) => `${shardDbName(s)}.memories`),
    );
  }

  /** Every stored (system_id, id) of a shard; for checks and tests. */
  async keys(shard: number): Promise<string[]> {
    return this.attached.has(shard) ? recordKeys(this.admin, `${shardDbName(shard)}.memories`) : [];
  }

  /**
   * For the tier mover and restore (storage/tiers): a connection of this instance, so tier
   * files attached to it can be read and written together with the hot shards.
   */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /**
   * For the tier mover and restore (storage/tiers): runs `task` under the shard's write lock
   * (no ingest transaction interleaves). Rows the task writes into `memories` must be passed
   * to `learn`, so the shard's dedupe filter knows them.
   */
  async withShard<T>(
    shard: number,
    task: (
      conn: DuckDBConnection,
      db: string,
      learn: (systemId: string, id: string, sha256: string) => void,
    ) => Promise<T>,
    /** 'keys-only': the task changes no record (the key index only): the vector index stays */
    changes: 'records' | 'keys-only' = 'records',
  ): Promise<T> {
    await this.attach(shard);
    return this.shardLock.run(shard, async () => {
      const filter = await this.filterOf(shard);
      const learn = (systemId: string, id: string, sha256: string) => {
        filter.add(filterKey.record(systemId, id));
        filter.add(filterKey.content(systemId, sha256));
      };
      return this.pool.use(async (conn) => {
        if (changes === 'keys-only') return task(conn, shardDbName(shard), learn);
        // before the task: from here on the index's saved mark no longer vouches for the rows
        await bumpCommitMark(conn, shardDbName(shard));
        const out = await task(conn, shardDbName(shard), learn).catch((err: unknown) => {
          this.staleIndex.add(shard); // it may have committed some of its changes
          throw err;
        });
        await this.dropOrphanPassages(conn, shardDbName(shard));
        // the task's changes are committed: an index that fails to follow is repaired later
        if (this.deferredIndex.has(shard)) this.deferredIndex.forget(shard);
        else await this.repairIndex(conn, shard).catch(() => this.staleIndex.add(shard));
        return out;
      });
    });
  }

  /** Passages of records a task deleted (moved to warm, expired). */
  private async dropOrphanPassages(conn: DuckDBConnection, db: string): Promise<void> {
    await conn.run(
      `DELETE FROM ${db}.memory_passages p WHERE NOT EXISTS
         (SELECT 1 FROM ${db}.memories m WHERE m.system_id = p.system_id AND m.id = p.id)`,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.saveTimer);
    await this.index?.close(this.shardBusy);
    this.closeConnections();
  }

  private closeConnections(): void {
    for (const conn of this.pool.all) conn.closeSync();
    this.admin.closeSync();
    this.instance.closeSync();
  }
}
