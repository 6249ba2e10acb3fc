import { ARRAY, FLOAT, VARCHAR, arrayValue, type DuckDBConnection } from '@duckdb/node-api';
import { EMBEDDING_DIM } from '../schemas';
import { type Embedder, embedTexts, type TextVectors } from '../embedding';
import {
  appendRows,
  type HotStore,
  quantiseSql,
  scaleSql,
  warmDbName,
  type WarmStore,
} from '../storage';

export interface ReembedOptions {
  /** records per embedder call and per transaction (default 256) */
  batchSize?: number | undefined;
  /** called after each batch with the records re-embedded so far */
  onProgress?: ((done: number) => void) | undefined;
}

export interface ReembedResult {
  model: string;
  hot: number;
  warm: number;
  seconds: number;
}

interface Stale {
  system_id: string;
  id: string;
  text: string;
}

/**
 * Gives every hot record (from its text) and every warm record (from its summary: warm
 * keeps no full text) a vector of `embedder`'s model, wherever another model made it.
 * One transaction per batch; a record is done once it carries the new model, so an
 * interrupted run resumes where it stopped. Cold objects are left as they are: search
 * skips their vectors (another model), and `akosha restore` brings them back to be
 * re-embedded. Open the store with `index: false`: the next writer rebuilds the index.
 */
export async function reembed(
  store: HotStore,
  warm: WarmStore | undefined,
  embedder: Embedder,
  opts: ReembedOptions = {},
): Promise<ReembedResult> {
  const started = performance.now();
  const model = embedder.info.model;
  const batch = opts.batchSize ?? 256;
  let done = 0;
  const progress = (n: number) => opts.onProgress?.((done += n));
  let hot = 0;
  for (const shard of store.shards) {
    hot += await store.withShard(shard, (conn, db) =>
      eachBatch(conn, staleHotSql(db, model, batch), async (rows) => {
        await rewriteHot(conn, db, model, rows, await embedTexts(embedder, texts(rows)));
        progress(rows.length);
      }),
    );
  }
  let warmCount = 0;
  const conn = await store.connect(); // warm files are attached to the hot store's instance
  try {
    for (const shard of warm?.shards ?? []) {
      const db = warmDbName(shard);
      warmCount += await eachBatch(conn, staleWarmSql(db, model, batch), async (rows) => {
        await rewriteWarm(conn, db, model, rows, await embedder.embed(texts(rows)));
        progress(rows.length);
      });
    }
  } finally {
    conn.closeSync();
  }
  return { model, hot, warm: warmCount, seconds: (performance.now() - started) / 1000 };
}

const texts = (rows: Stale[]) => rows.map((r) => r.text);

/** Runs `handle` on batches of the query's rows until it returns none; each batch in a transaction. */
async function eachBatch(
  conn: DuckDBConnection,
  sql: string,
  handle: (rows: Stale[]) => Promise<void>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as unknown as Stale[];
    if (rows.length === 0) return total;
    await conn.run('BEGIN TRANSACTION');
    try {
      await handle(rows);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    total += rows.length;
  }
}

/** $1 a vector, $2 model, $3 system_id, $4 id */
const UPDATE_TYPES = [ARRAY(FLOAT, EMBEDDING_DIM), VARCHAR, VARCHAR, VARCHAR];

const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;

const staleHotSql = (db: string, model: string, limit: number) =>
  `SELECT system_id, id, content AS text FROM ${db}.memories
   WHERE embedder_model <> ${quoted(model)} LIMIT ${limit}`;

const staleWarmSql = (db: string, model: string, limit: number) =>
  `SELECT system_id, id, summary AS text FROM ${db}.records
   WHERE embedder_model <> ${quoted(model)} LIMIT ${limit}`;

async function rewriteHot(
  conn: DuckDBConnection,
  db: string,
  model: string,
  rows: Stale[],
  vectors: TextVectors[],
): Promise<void> {
  for (const [i, r] of rows.entries()) {
    const v = vectors[i]!;
    await conn.run(
      `UPDATE ${db}.memories SET embedding = $1, embedder_model = $2, vector_source = 'embedder'
       WHERE system_id = $3 AND id = $4`,
      [arrayValue([...v.vector]), model, r.system_id, r.id],
      UPDATE_TYPES,
    );
    await conn.run(`DELETE FROM ${db}.memory_passages WHERE system_id = $1 AND id = $2`, [
      r.system_id,
      r.id,
    ]);
  }
  const passages = rows.flatMap((r, i) =>
    vectors[i]!.passages.map((p, n) => [r.system_id, r.id, n, p.start, p.end, p.vector]),
  );
  await appendRows(conn, db, 'memory_passages', passages);
}

async function rewriteWarm(
  conn: DuckDBConnection,
  db: string,
  model: string,
  rows: Stale[],
  vectors: Float32Array[],
): Promise<void> {
  const scale = scaleSql('$1');
  for (const [i, r] of rows.entries()) {
    await conn.run(
      `UPDATE ${db}.records SET vec_q = ${quantiseSql('$1', scale)}, vec_scale = ${scale},
         embedder_model = $2, vector_source = 'embedder'
       WHERE system_id = $3 AND id = $4`,
      [arrayValue([...vectors[i]!]), model, r.system_id, r.id],
      UPDATE_TYPES,
    );
  }
}
