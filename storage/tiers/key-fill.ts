import { rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { shardDbName } from '../hot-schema';
import { keysFilled, markKeysFilled } from '../shard-migrate';
import { mapLimit, readParquetSql, type ColdObject } from './cold-store';
import type { Tiers } from './context';
import { inTransaction } from './journal';
import { warmDbName } from './warm-store';

type Learn = (systemId: string, id: string, sha256: string) => void;

/**
 * Once per shard file: the keys of the shard's warm and cold records into its key index
 * (files written before the index existed, or a hot file rebuilt beside older warm and cold
 * data). Cold objects are found through the shard's move journal, so no listing is needed.
 */
export async function fillKeyIndex(t: Tiers, shard: number): Promise<void> {
  await t.hot.attach(shard);
  await t.warm.attach(shard);
  const h = shardDbName(shard);
  const w = warmDbName(shard);
  if (!(await t.withConnection((conn) => keysFilled(conn, h, 'warm'))))
    await fillFrom(t, shard, 'warm', `${w}.records`);
  if (await t.withConnection((conn) => keysFilled(conn, h, 'cold'))) return;
  const objects = await coldObjectsOf(t, w);
  // a batch at a time (bounded disk); repeating one after a crash is harmless
  for (let i = 0; i < objects.length; i += OBJECTS_PER_BATCH) {
    const dir = await t.cold.tempDir();
    try {
      const files = await t.cold.download('key-fill', objects.slice(i, i + OBJECTS_PER_BATCH), dir);
      await fillFrom(t, shard, null, readParquetSql(files));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  await fillFrom(t, shard, 'cold', null);
}

const OBJECTS_PER_BATCH = 32;

/** One hot transaction: the source's keys (when given) and the tier's "filled" mark (when given). */
async function fillFrom(
  t: Tiers,
  shard: number,
  tier: 'warm' | 'cold' | null,
  source: string | null,
): Promise<void> {
  // the key index only, no record: the vector index has nothing to follow
  await t.hot.withShard(shard, fill, 'keys-only');
  async function fill(conn: DuckDBConnection, h: string, learn: Learn): Promise<void> {
    await inTransaction(conn, async () => {
      if (source !== null)
        await conn.run(
          `INSERT INTO ${h}.record_keys SELECT system_id, id, content_sha256, ts FROM ${source}
           ON CONFLICT DO NOTHING`,
        );
      if (tier !== null) await markKeysFilled(conn, h, tier);
    });
    if (source !== null) await learnKeys(conn, source, learn);
  }
}

async function learnKeys(conn: DuckDBConnection, source: string, learn: Learn): Promise<void> {
  const reader = await conn.runAndReadAll(`SELECT system_id, id, content_sha256 FROM ${source}`);
  for (const [s, id, sha] of reader.getRows() as [string, string, string][]) learn(s, id, sha);
}

/** Objects that finished warm → cold moves of the shard wrote and that still exist. */
async function coldObjectsOf(t: Tiers, w: string): Promise<ColdObject[]> {
  const reader = await t.withConnection((conn) =>
    conn.runAndReadAll(
      `SELECT objects FROM ${w}.tier_moves
        WHERE from_tier = 'warm' AND to_tier = 'cold' AND phase = 'deleted'`,
    ),
  );
  const planned = reader
    .getRows()
    .flatMap(([objects]) => JSON.parse(String(objects)) as ColdObject[]);
  const present = await mapLimit(planned, 8, (o) => t.cold.objects.head(o.key));
  return planned.filter((_, i) => present[i] !== null);
}
