import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { duckdbFilesBytes, numberedFiles } from './disk';
import { countRows, recordKeys } from './shard-tables';
import {
  ARRAY,
  DuckDBInstance,
  FLOAT,
  VARCHAR,
  arrayValue,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { EMBEDDING_DIM } from '../schemas/record';
import { HOT_SHARD_DDL, shardDbName, shardFileName } from './hot-schema';
import { KeyedLock, Pool } from './keyed-lock';
import { isoSql } from './time';
import { loadShardFilter } from './shard-filter-load';
import type { ShardFilter } from './shard-filter';
import { writeShardTransaction, type ShardWriteResult } from './shard-transaction';
import { filterKey, type ChunkInput } from './write-plan';

const QUERY_VECTOR_TYPE = ARRAY(FLOAT, EMBEDDING_DIM);

export interface SearchOptions {
  limit: number;
  systemId?: string | undefined;
  shards?: number[] | undefined;
}

export interface HotHit {
  system_id: string;
  id: string;
  kind: string;
  content: string;
  timestamp: string;
  project: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  upload_id: string;
  similarity: number;
  shard: number;
  tier: 'hot';
}

/**
 * The hot tier: one DuckDB file per shard, all attached to one in-process DuckDB
 * instance. This process is the only writer of those files (DuckDB allows one).
 */
export class HotStore {
  private readonly attached = new Set<number>();
  private readonly filters = new Map<number, ShardFilter>();
  private readonly attachLock = new KeyedLock<number>();
  private readonly shardLock = new KeyedLock<number>();
  /** uploads whose event was published; flagged in the shard's next transaction */
  private readonly publishedMarks = new Map<number, Set<string>>();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    private readonly pool: Pool<DuckDBConnection>,
  ) {}

  static async open(dir: string, opts: { concurrency: number }): Promise<HotStore> {
    mkdirSync(dir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const admin = await instance.connect();
    const conns = await Promise.all(
      Array.from({ length: opts.concurrency }, () => instance.connect()),
    );
    const store = new HotStore(dir, instance, admin, new Pool(conns));
    for (const shard of numberedFiles(dir, /^shard-(\d{3})\.duckdb$/)) await store.attach(shard);
    return store;
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
    return this.attachLock.run(shard, async () => {
      if (this.attached.has(shard)) return;
      const db = shardDbName(shard);
      await this.admin.run(`ATTACH '${this.shardFile(shard)}' AS ${db}`);
      for (const ddl of HOT_SHARD_DDL(db)) await this.admin.run(ddl);
      this.filters.set(shard, await loadShardFilter(this.admin, db));
      this.attached.add(shard);
    });
  }

  async writeShard(shard: number, inputs: ChunkInput[]): Promise<ShardWriteResult> {
    await this.attach(shard);
    return this.shardLock.run(shard, () =>
      this.pool.use((conn) =>
        writeShardTransaction(
          conn,
          shardDbName(shard),
          this.filters.get(shard)!,
          inputs,
          this.takeMarks(shard),
        ),
      ),
    );
  }

  markEventPublished(shard: number, systemId: string, uploadId: string): void {
    const marks = this.publishedMarks.get(shard) ?? new Set<string>();
    marks.add(JSON.stringify([systemId, uploadId]));
    this.publishedMarks.set(shard, marks);
  }

  private takeMarks(shard: number): [string, string][] {
    const marks = this.publishedMarks.get(shard);
    this.publishedMarks.delete(shard);
    return marks ? [...marks].map((m) => JSON.parse(m) as [string, string]) : [];
  }

  /** Uploads that completed but whose event may not have been published (a crash in between). */
  async unpublishedUploads(shard: number): Promise<{ systemId: string; uploadId: string }[]> {
    const reader = await this.admin.runAndReadAll(
      `SELECT system_id, upload_id FROM ${shardDbName(shard)}.uploads_completed WHERE NOT event_published`,
    );
    return reader
      .getRowObjectsJS()
      .map((r) => ({ systemId: String(r.system_id), uploadId: String(r.upload_id) }));
  }

  async search(query: Float32Array, opts: SearchOptions): Promise<HotHit[]> {
    const shards = (opts.shards ?? this.shards).filter((s) => this.attached.has(s));
    if (shards.length === 0) return [];
    const union = shards.map((s) => shardSearchSql(s)).join('\nUNION ALL\n');
    const sql = `SELECT * FROM (${union}) ORDER BY similarity DESC LIMIT ${Math.floor(opts.limit)}`;
    const reader = await this.pool.use((conn) =>
      conn.runAndReadAll(
        sql,
        [arrayValue([...query]), opts.systemId ?? null],
        [QUERY_VECTOR_TYPE, VARCHAR],
      ),
    );
    return reader.getRowObjectsJS().map((row) => toSearchHit(row, 'hot'));
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
  ): Promise<T> {
    await this.attach(shard);
    const filter = this.filters.get(shard)!;
    const learn = (systemId: string, id: string, sha256: string) => {
      filter.add(filterKey.record(systemId, id));
      filter.add(filterKey.content(systemId, sha256));
    };
    return this.shardLock.run(shard, () =>
      this.pool.use((conn) => task(conn, shardDbName(shard), learn)),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const shard of this.publishedMarks.keys()) await this.writeShard(shard, []);
    for (const conn of this.pool.all) conn.closeSync();
    this.admin.closeSync();
    this.instance.closeSync();
  }
}

function shardSearchSql(shard: number): string {
  return `SELECT system_id, id, kind, content, ${isoSql('ts')} AS timestamp, project, tags, metadata, upload_id,
      ${shard} AS shard, array_cosine_similarity(embedding, $1::FLOAT[${EMBEDDING_DIM}]) AS similarity
    FROM ${shardDbName(shard)}.memories WHERE $2::VARCHAR IS NULL OR system_id = $2::VARCHAR`;
}

/** A search row (hot, warm or cold: the same columns) as a hit of the given tier. */
export function toSearchHit<T extends HotHit['tier'] | 'warm' | 'cold'>(
  row: Record<string, unknown>,
  tier: T,
): Omit<HotHit, 'tier'> & { tier: T } {
  return {
    system_id: String(row.system_id),
    id: String(row.id),
    kind: String(row.kind),
    content: String(row.content),
    timestamp: String(row.timestamp),
    project: row.project === null ? null : String(row.project),
    tags: (row.tags as string[]) ?? [],
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
    upload_id: String(row.upload_id),
    similarity: Number(row.similarity),
    shard: Number(row.shard),
    tier,
  };
}
