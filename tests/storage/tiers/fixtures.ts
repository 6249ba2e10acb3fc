import { createHash } from 'node:crypto';
import { arrayValue, listValue, timestampValue, type DuckDBValue } from '@duckdb/node-api';
import { shardOf } from '../../../schemas/ids';
import { EMBEDDING_DIM } from '../../../schemas/record';
import { appendRows } from '../../../storage/duckdb-append';
import type { HotStore } from '../../../storage/hot-store';
import { rng } from '../../helpers/random';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';

const WORDS = (
  'jetstream consumer shard duckdb parquet vector embedding cluster memory upload ' +
  'reflection session buddy akosha tier warm cold verify checksum journal recover'
).split(' ');

/** The span the tests seed: 2026-01-01 … 2026-01-07 */
export const SEED_START = new Date('2026-01-01T00:00:00Z');
export const SEED_DAYS = 6;

export interface SeedOptions {
  systems: string[];
  perSystem: number;
  /** records are spread evenly over [start, start + days) */
  start: Date;
  days: number;
  contentChars?: number;
  seed?: number;
}

function sentence(rand: () => number): string {
  const n = 6 + Math.floor(rand() * 10);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
  const s = words.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

export function vector(rand: () => number): number[] {
  const v = Array.from({ length: EMBEDDING_DIM }, () => rand() * 2 - 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Writes synthetic records straight into the hot shards; returns the keys per shard. */
export async function seedHot(hot: HotStore, o: SeedOptions): Promise<Map<number, string[]>> {
  const rand = rng(o.seed ?? 1);
  const byShard = new Map<number, { rows: DuckDBValue[][]; keys: string[] }>();
  const span = o.days * 86_400_000;
  for (const system of o.systems) {
    const shard = shardOf(system);
    const entry = byShard.get(shard) ?? { rows: [], keys: [] };
    byShard.set(shard, entry);
    for (let i = 0; i < o.perSystem; i++) {
      let content = '';
      while (content.length < (o.contentChars ?? 500)) content += `${sentence(rand)} `;
      content = content.trim();
      const id = `rec-${i}`;
      const ts = o.start.getTime() + Math.floor((span * i) / o.perSystem);
      entry.keys.push(`${system}/${id}`);
      entry.rows.push([
        system,
        id,
        i % 5 === 0 ? 'reflection' : 'conversation',
        content,
        createHash('sha256').update(content).digest('hex'),
        timestampValue(BigInt(ts) * 1000n),
        i % 3 === 0 ? null : 'akosha',
        listValue(i % 2 === 0 ? ['aging', `t${i % 7}`] : []),
        JSON.stringify({ n: i, system }),
        arrayValue(vector(rand)),
        'producer',
        HASHING_MODEL,
        `upload-${Math.floor(i / 100)}`,
        timestampValue(BigInt(ts) * 1000n),
      ]);
    }
  }
  const keys = new Map<number, string[]>();
  for (const [shard, { rows, keys: k }] of byShard) {
    await hot.withShard(shard, async (conn, db, learn) => {
      await conn.run('BEGIN TRANSACTION');
      await appendRows(conn, db, 'memories', rows);
      // as ingest does: the key index learns each stored record
      await appendRows(
        conn,
        db,
        'record_keys',
        rows.map((r) => [r[0]!, r[1]!, r[4]!, r[5]!]),
      );
      await conn.run('COMMIT');
      for (const r of rows) learn(String(r[0]), String(r[1]), String(r[4]));
    });
    keys.set(shard, k.sort());
  }
  return keys;
}
