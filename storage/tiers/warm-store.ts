import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { duckdbFilesBytes, numberedFiles } from '../disk';
import { countRows, recordKeys } from '../shard-tables';
import type { DuckDBConnection } from '@duckdb/node-api';
import { searchParams, warmSearchSql } from './search-sql';
import { EMBEDDING_DIM } from '../../schemas';
import type { HotStore, SearchOptions } from '../hot-store';
import { toSearchHit, type HotHit } from '../search-hit';
import { KeyedLock } from '../keyed-lock';

export const warmDbName = (shard: number) => `w${String(shard).padStart(3, '0')}`;
export const warmFileName = (shard: number) => `warm-${String(shard).padStart(3, '0')}.duckdb`;

/** One DuckDB file per shard: aged records, and the move journal of that shard. */
export const WARM_SHARD_DDL = (db: string) => [
  `CREATE TABLE IF NOT EXISTS ${db}.records (
    system_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    summary VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    content_chars INTEGER NOT NULL,
    ts TIMESTAMP NOT NULL,
    project VARCHAR,
    tags VARCHAR[] NOT NULL,
    metadata VARCHAR NOT NULL,
    vec_q TINYINT[${EMBEDDING_DIM}] NOT NULL,
    vec_scale FLOAT NOT NULL,
    vector_source VARCHAR NOT NULL,
    embedder_model VARCHAR NOT NULL,
    upload_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    aged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (system_id, id)
  )`,
  // The move journal: one row per move of this shard (see journal.ts and recovery.ts).
  `CREATE TABLE IF NOT EXISTS ${db}.tier_moves (
    move_id VARCHAR PRIMARY KEY,
    shard INTEGER NOT NULL,
    from_tier VARCHAR NOT NULL,
    to_tier VARCHAR NOT NULL,
    phase VARCHAR NOT NULL,
    expected VARCHAR,
    objects VARCHAR NOT NULL,
    error VARCHAR,
    started_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
  )`,
  // The records a move in progress covers; emptied when the move ends.
  `CREATE TABLE IF NOT EXISTS ${db}.move_keys (
    move_id VARCHAR NOT NULL,
    system_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    -- the move created the row at its DuckDB target (a rollback deletes only those)
    inserted BOOLEAN NOT NULL
  )`,
];

/** A warm or cold search result: the fields of a hot one, its tier aside. */
export interface WarmHit extends Omit<HotHit, 'tier'> {
  tier: 'warm' | 'cold';
}

/**
 * The warm tier: `warm-NNN.duckdb` per shard, attached to the HotStore's DuckDB
 * instance (one process owns hot and warm files), so moves are INSERT … SELECT
 * across attached files. Vectors are int8 with a per-vector scale.
 */
export class WarmStore {
  private readonly attached = new Set<number>();
  private readonly attachLock = new KeyedLock<number>();

  private constructor(
    private readonly dir: string,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(hot: HotStore, dir: string): Promise<WarmStore> {
    mkdirSync(dir, { recursive: true });
    const store = new WarmStore(dir, await hot.connect());
    for (const shard of numberedFiles(dir, /^warm-(\d{3})\.duckdb$/)) await store.attach(shard);
    return store;
  }

  get shards(): number[] {
    return [...this.attached].sort((a, b) => a - b);
  }

  shardFile(shard: number): string {
    return join(this.dir, warmFileName(shard));
  }

  /** Bytes of the warm files on disk (database and write-ahead log). */
  diskBytes(): number {
    return duckdbFilesBytes(this.shards.map((s) => this.shardFile(s)));
  }

  attach(shard: number): Promise<void> {
    return this.attachLock.run(shard, async () => {
      if (this.attached.has(shard)) return;
      const db = warmDbName(shard);
      await this.conn.run(`ATTACH '${this.shardFile(shard)}' AS ${db}`);
      for (const ddl of WARM_SHARD_DDL(db)) await this.conn.run(ddl);
      this.attached.add(shard);
    });
  }

  async count(shard?: number): Promise<number> {
    const shards = shard === undefined ? this.shards : [shard].filter((s) => this.attached.has(s));
    return countRows(
      this.conn,
      shards.map((s) => `${warmDbName(s)}.records`),
    );
  }

  async keys(shard: number): Promise<string[]> {
    return this.attached.has(shard) ? recordKeys(this.conn, `${warmDbName(shard)}.records`) : [];
  }

  /** Brute-force cosine search over the dequantised vectors. */
  async search(query: Float32Array, opts: SearchOptions): Promise<WarmHit[]> {
    const shards = (opts.shards ?? this.shards).filter((s) => this.attached.has(s));
    if (shards.length === 0) return [];
    const union = shards
      .map((s) => warmSearchSql(`${warmDbName(s)}.records`, `${s}`, 'warm'))
      .join('\nUNION ALL\n');
    const { values, types } = searchParams(query, opts);
    const reader = await this.conn.runAndReadAll(
      `SELECT * FROM (${union}) ORDER BY similarity DESC LIMIT ${Math.floor(opts.limit)}`,
      values,
      types,
    );
    return reader.getRowObjectsJS().map(toWarmHit);
  }

  async close(): Promise<void> {
    for (const shard of this.shards) await this.conn.run(`DETACH ${warmDbName(shard)}`);
    this.attached.clear();
    this.conn.closeSync();
  }
}

export function toWarmHit(row: Record<string, unknown>): WarmHit {
  return toSearchHit(row, row.tier === 'cold' ? 'cold' : 'warm');
}
