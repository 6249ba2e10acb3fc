import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface StoredKeys {
  /** `system/id` → how many times it is held over hot, warm and cold */
  counts: Map<string, number>;
  perTier: { hot: number; warm: number; cold: number };
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

function filesOf(dir: string, pattern: RegExp): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => pattern.test(f)) : [];
}

async function keysOf(conn: DuckDBConnection, from: string): Promise<string[]> {
  const reader = await conn.runAndReadAll(`SELECT system_id || '/' || id AS k FROM ${from}`);
  return reader.getRowObjectsJS().map((r) => String(r.k));
}

/** Rows of one DuckDB file's table, attached read-only under a throwaway name. */
async function fileKeys(conn: DuckDBConnection, path: string, table: string): Promise<string[]> {
  await conn.run(`ATTACH ${quote(path)} AS f (READ_ONLY)`);
  try {
    return await keysOf(conn, `f.${table}`);
  } finally {
    await conn.run('DETACH f');
  }
}

/**
 * Reads the record keys of every tier straight from the files a cleanly stopped writer left:
 * hot `hot/shard-NNN.duckdb` (memories), warm `warm/warm-NNN.duckdb` (records) and the cold
 * Parquet objects under `cold/` (the local object store). Nothing of Akosha's own code reads
 * them, so a bug there cannot hide a loss here.
 */
export async function readStoredKeys(dataDir: string): Promise<StoredKeys> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const counts = new Map<string, number>();
  const perTier = { hot: 0, warm: 0, cold: 0 };
  const add = (tier: keyof typeof perTier, keys: string[]) => {
    perTier[tier] += keys.length;
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  try {
    const hotDir = join(dataDir, 'hot');
    for (const f of filesOf(hotDir, /^shard-\d{3}\.duckdb$/))
      add('hot', await fileKeys(conn, join(hotDir, f), 'memories'));
    const warmDir = join(dataDir, 'warm');
    for (const f of filesOf(warmDir, /^warm-\d{3}\.duckdb$/))
      add('warm', await fileKeys(conn, join(warmDir, f), 'records'));
    const cold = join(dataDir, 'cold');
    if (
      existsSync(cold) &&
      readdirSync(cold, { recursive: true }).some((f) => /\.parquet$/.test(String(f)))
    )
      add('cold', await keysOf(conn, `read_parquet(${quote(join(cold, '**', '*.parquet'))})`));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return { counts, perTier };
}
