import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ObjectStore } from './object-store';
import { keyHashSql, sqlString, warmRowHashSql } from './sql';
import { TierMoveError, type Stats } from './verify';
import { shardOf } from '../../schemas';
import type { SearchOptions } from '../hot-store';
import { searchParams, warmSearchSql } from './search-sql';
import { toWarmHit, type WarmHit } from './warm-store';
import {
  coldTimeout,
  deadline,
  DEFAULT_COLD_READ_LIMITS,
  notifyingWrites,
  tooManyObjects,
  TtlMemo,
} from './cold-limits';
import type { ColdReadLimits } from '../../infra';

/** One Parquet object of the cold tier, as planned by a move and as recorded in its metadata. */
export interface ColdObject {
  key: string;
  expected: Stats;
  /** sha256 of the object's bytes, known once written */
  sha256?: string;
}

export const KIND_PREFIX = { conversation: 'conversations', reflection: 'reflections' } as const;

/** `conversations/<system_id>/<yyyy>/<mm>/<dd>/<batch>.parquet` */
export function coldKey(kind: string, systemId: string, day: string, batch: string): string {
  const prefix = kind === 'reflection' ? KIND_PREFIX.reflection : KIND_PREFIX.conversation;
  return `${prefix}/${systemId}/${day}/${batch}.parquet`;
}

/** The day a cold key covers (UTC midnight), or null for a key of another shape. */
export function coldKeyDay(key: string): Date | null {
  const m =
    /^(?:conversations|reflections)\/[^/]+\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+\.parquet$/.exec(key);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`) : null;
}

export const sha256Hex = (body: Buffer) => createHash('sha256').update(body).digest('hex');

export interface Downloaded {
  key: string;
  path: string;
}

/**
 * The cold tier: Parquet (ZSTD, written by DuckDB) in an ObjectStore. Each object's
 * metadata carries its sha256, row count and key/record hash sums.
 */
export class ColdStore {
  readonly objects: ObjectStore;
  /** per-system row counts (tier-counts.ts), dropped whenever this process writes an object */
  readonly counts: TtlMemo<Map<string, number>>;
  /** per-system rows and bytes (tier-sizes.ts), dropped likewise */
  readonly sizes: TtlMemo<Map<string, { records: number; bytes: number }>>;

  constructor(
    objects: ObjectStore,
    private readonly concurrency = 8,
    readonly limits: ColdReadLimits = DEFAULT_COLD_READ_LIMITS,
  ) {
    this.counts = new TtlMemo(limits.countsTtlMs);
    this.sizes = new TtlMemo(limits.countsTtlMs);
    this.objects = notifyingWrites(objects, () => {
      this.counts.clear();
      this.sizes.clear();
    });
  }

  async tempDir(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'akosha-cold-'));
  }

  /** Uploads local Parquet files; returns the objects with their sha256. */
  async upload(files: { object: ColdObject; path: string }[]): Promise<ColdObject[]> {
    return mapLimit(files, this.concurrency, async ({ object, path }) => {
      const body = await readFile(path);
      const sha256 = sha256Hex(body);
      await this.objects.put(object.key, body, {
        sha256,
        rows: String(object.expected.count),
        bytes: String(body.byteLength),
        'keys-hash': object.expected.keys,
        'records-hash': object.expected.records,
      });
      return { ...object, sha256 };
    });
  }

  /**
   * Downloads objects into `dir`, checking each one's bytes against the sha256 in its
   * metadata (and against `expectedSha` when the caller knows it).
   */
  async download(
    moveId: string,
    keys: { key: string; sha256?: string | undefined }[],
    dir: string,
    signal?: AbortSignal,
  ): Promise<Downloaded[]> {
    return mapLimit(keys, this.concurrency, async ({ key, sha256 }, i) => {
      signal?.throwIfAborted();
      const got = await this.objects.get(key, signal ? { signal } : {});
      if (got === null) throw new TierMoveError('OBJECT_MISSING', moveId, key);
      const actual = sha256Hex(got.body);
      if (actual !== got.metadata.sha256 || (sha256 !== undefined && actual !== sha256))
        throw new TierMoveError('CHECKSUM_MISMATCH', moveId, `${key}: sha256 ${actual}`);
      const path = join(dir, `o${i}.parquet`);
      await writeFile(path, got.body);
      return { key, path };
    });
  }

  /** count / key hash / record hash per downloaded file */
  async fileStats(conn: DuckDBConnection, files: Downloaded[]): Promise<Map<string, Stats>> {
    const byPath = new Map(files.map((f) => [f.path, f.key]));
    const stats = new Map<string, Stats>();
    if (files.length === 0) return stats;
    const reader = await conn.runAndReadAll(
      `SELECT filename, count(*)::BIGINT AS n, sum(${keyHashSql()})::VARCHAR AS kh,
              sum(${warmRowHashSql()})::VARCHAR AS rh
         FROM ${readParquetSql(files)} GROUP BY filename`,
    );
    for (const row of reader.getRowObjectsJS()) {
      const key = byPath.get(String(row.filename));
      if (key !== undefined)
        stats.set(key, { count: Number(row.n), keys: String(row.kh), records: String(row.rh) });
    }
    return stats;
  }

  /** Keys of the cold objects of a system whose day is on or after `since`'s day. */
  async keysOf(systemId: string, since?: Date): Promise<string[]> {
    const day = since
      ? Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate())
      : 0;
    const keys = [
      ...(await this.objects.list(`${KIND_PREFIX.conversation}/${systemId}/`)),
      ...(await this.objects.list(`${KIND_PREFIX.reflection}/${systemId}/`)),
    ];
    return keys.filter((k) => (coldKeyDay(k)?.getTime() ?? -1) >= day);
  }

  /** Records and bytes in cold storage, from each object's metadata (one HEAD per object). */
  async stats(): Promise<{ records: number; bytes: number; objects: number }> {
    const keys = [
      ...(await this.objects.list(`${KIND_PREFIX.conversation}/`)),
      ...(await this.objects.list(`${KIND_PREFIX.reflection}/`)),
    ];
    let records = 0;
    let bytes = 0;
    for (const key of keys) {
      const meta = await this.objects.head(key);
      records += Number(meta?.rows ?? 0);
      bytes += Number(meta?.bytes ?? 0);
    }
    return { records, bytes, objects: keys.length };
  }

  /**
   * Brute-force search over the downloaded Parquet objects of one system. A system with
   * more objects than `limits.maxObjects` is refused (ColdReadLimitError) before anything is
   * read; past `limits.timeoutMs` (or `signal`) the downloads and the scan are aborted.
   */
  async search(
    conn: DuckDBConnection,
    query: Float32Array,
    opts: SearchOptions & { systemId: string },
    signal?: AbortSignal,
  ): Promise<WarmHit[]> {
    const keys = await this.keysOf(opts.systemId);
    if (keys.length === 0) return [];
    const { maxObjects, timeoutMs } = this.limits;
    if (keys.length > maxObjects) throw tooManyObjects(opts.systemId, keys.length, maxObjects);
    const stop = deadline(timeoutMs, signal);
    const dir = await this.tempDir();
    try {
      const files = await this.download(
        'search',
        keys.map((key) => ({ key })),
        dir,
        stop,
      );
      const { values, types } = searchParams(query, opts);
      const shard = shardOf(opts.systemId);
      const sql = `SELECT * FROM (${warmSearchSql(readParquetSql(files), `${shard}`, 'cold')})
          ORDER BY similarity DESC LIMIT ${Math.floor(opts.limit)}`;
      const reader = await interruptible(conn, stop, () => conn.runAndReadAll(sql, values, types));
      return reader.getRowObjectsJS().map(toWarmHit);
    } catch (err) {
      if (stop.aborted) throw coldTimeout(timeoutMs);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Runs a DuckDB statement that `signal` interrupts (the statement then fails). */
export async function interruptible<T>(
  conn: DuckDBConnection,
  signal: AbortSignal,
  run: () => Promise<T>,
): Promise<T> {
  signal.throwIfAborted();
  const interrupt = () => conn.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  try {
    return await run();
  } finally {
    signal.removeEventListener('abort', interrupt);
  }
}

export const readParquetSql = (files: { path: string }[]) =>
  `read_parquet([${files.map((f) => sqlString(f.path)).join(', ')}], filename = true, hive_partitioning = false)`;

/**
 * Runs `task` over `items`, at most `limit` at a time, keeping the order of results. On a
 * failure no further item starts, and the first error is thrown only once the tasks already
 * running have settled: a caller's `finally` (removing the directory they write into) must
 * not race them.
 */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
