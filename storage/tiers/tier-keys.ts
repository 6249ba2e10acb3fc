import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { shardOf } from '../../schemas';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KIND_PREFIX, mapLimit, readParquetSql, type Downloaded } from './cold-store';
import type { Tiers } from './context';
import { TierMoveError } from './verify';

/** Every `system_id/id` each tier holds for one shard (a key twice means a duplicate). */
export interface TierKeys {
  hot: string[];
  warm: string[];
  cold: string[];
  /** cold objects that could not be read (checksum mismatch, vanished) */
  unreadable: string[];
}

/**
 * Reads the keys of every tier of the given shards: hot and warm from their files, cold
 * from the shard's Parquet objects (listed, so an object the journal does not know counts
 * too). For checks (`akosha verify`) and tests; cold costs a download of the shard's objects.
 */
export async function keysByTier(t: Tiers, shards: number[]): Promise<Map<number, TierKeys>> {
  const out = new Map<number, TierKeys>();
  const objects = await coldObjectsByShard(t);
  for (const shard of shards) {
    out.set(shard, {
      hot: await t.hot.keys(shard),
      warm: await t.warm.keys(shard),
      ...(await coldKeys(t, objects.get(shard) ?? [])),
    });
  }
  return out;
}

async function coldObjectsByShard(t: Tiers): Promise<Map<number, string[]>> {
  const keys = [
    ...(await t.cold.objects.list(`${KIND_PREFIX.conversation}/`)),
    ...(await t.cold.objects.list(`${KIND_PREFIX.reflection}/`)),
  ];
  const byShard = new Map<number, string[]>();
  for (const key of keys) {
    const system = key.split('/')[1];
    if (system === undefined) continue;
    const shard = shardOf(system);
    byShard.set(shard, [...(byShard.get(shard) ?? []), key]);
  }
  return byShard;
}

async function coldKeys(
  t: Tiers,
  objectKeys: string[],
): Promise<{ cold: string[]; unreadable: string[] }> {
  const dir = await t.cold.tempDir();
  try {
    const unreadable: string[] = [];
    // one at a time into its own directory, so that one bad object hides no other
    const files = await mapLimit(objectKeys, 8, async (key) =>
      t.cold.download('verify', [{ key }], await mkdtemp(join(dir, 'o'))).catch((err: unknown) => {
        if (!(err instanceof TierMoveError)) throw err;
        unreadable.push(key);
        return [];
      }),
    );
    const cold = await t.withConnection((conn) => parquetKeys(conn, files.flat()));
    return { cold, unreadable: unreadable.sort() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function parquetKeys(conn: DuckDBConnection, files: Downloaded[]): Promise<string[]> {
  if (files.length === 0) return [];
  const reader = await conn.runAndReadAll(
    `SELECT system_id || '/' || id AS k FROM ${readParquetSql(files)} ORDER BY k`,
  );
  return reader.getRowObjectsJS().map((r) => String(r.k));
}
