import type { DuckDBConnection } from '@duckdb/node-api';
import { hitFaultPoint, preciseNowMs } from '../infra';
import { BULK_ROWS_PER_FLUSH } from './duckdb-append';
import { bumpCommitMark } from './commit-mark';
import { settleCompletions, type CompletedUpload } from './completion';
import { writeRows } from './duckdb-insert';
import type { ShardFilter } from './shard-filter';
import { chunkRows, knownRecords } from './shard-queries';
import { chunkValues, keyValues, memoryValues, passageValues } from './shard-rows';
import {
  chunkKey,
  chunkKeyOf,
  filterKey,
  uploadKey,
  planWrites,
  type ChunkInput,
  type ChunkOutcome,
  type NewRow,
} from './write-plan';

export type { CompletedUpload };

export interface ShardWriteResult {
  chunks: ChunkOutcome[];
  completed: CompletedUpload[];
  /** the records this transaction stored (for the vector index) */
  rows: NewRow[];
  /** the shard's commit mark after this transaction, when it stored records (commit-mark.ts) */
  mark?: string | undefined;
  /** when COMMIT returned (ms since the epoch, fractional); absent for sinks that don't say */
  committedAtMs?: number | undefined;
}

export interface ShardWriteOptions {
  /** checked right before COMMIT; when it does not hold, nothing is committed (throws) */
  fence?: (() => boolean) | undefined;
  /** the shard's mark, when this transaction may keep it rather than move it (HotVectors.keptMark) */
  keptMark?: string | undefined;
  /** a bulk load's transaction: appended in larger flushes (BULK_ROWS_PER_FLUSH) */
  bulk?: boolean | undefined;
}

/**
 * One transaction on one shard: records, chunk bookkeeping and completions
 * commit together, so a crash before COMMIT leaves nothing and a crash after it
 * is recognised on redelivery. The filter learns the new keys only after COMMIT.
 */
export async function writeShardTransaction(
  conn: DuckDBConnection,
  db: string,
  filter: ShardFilter,
  inputs: ChunkInput[],
  { fence, keptMark, bulk }: ShardWriteOptions = {},
): Promise<ShardWriteResult> {
  await conn.run('BEGIN TRANSACTION');
  let written: { result: ShardWriteResult; newKeys: string[] };
  try {
    written = await writeChunks(conn, db, filter, inputs, bulk ? BULK_ROWS_PER_FLUSH : undefined);
    // an UPDATE costs a small write about a sixth of its CPU: kept while no save vouches for it
    if (written.result.rows.length > 0)
      written.result.mark = keptMark ?? (await bumpCommitMark(conn, db));
    // a writer paused past its lease must not commit: the new owner gets these chunks
    if (fence && !fence()) throw new Error('writer lease lost before COMMIT');
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const committedAtMs = preciseNowMs();
  hitFaultPoint('after-commit');
  for (const key of written.newKeys) filter.add(key);
  return { ...written.result, committedAtMs };
}

async function writeChunks(
  conn: DuckDBConnection,
  db: string,
  filter: ShardFilter,
  inputs: ChunkInput[],
  rowsPerFlush: number | undefined,
) {
  const { fresh, redelivered, earlier } = await splitRedelivered(conn, db, filter, inputs);
  const candidates = fresh
    .flatMap(({ message: m }) =>
      m.records.map((r) => ({ systemId: m.system_id, id: r.id, sha256: r.content_sha256 })),
    )
    .filter(
      (c) =>
        filter.has(filterKey.record(c.systemId, c.id)) ||
        filter.has(filterKey.content(c.systemId, c.sha256)),
    );
  const { rows, outcomes } = planWrites(fresh, await knownRecords(conn, db, candidates));
  await writeRows(conn, db, 'memories', memoryValues(rows), rowsPerFlush);
  await writeRows(conn, db, 'record_keys', keyValues(rows), rowsPerFlush);
  await writeRows(conn, db, 'memory_passages', passageValues(rows), rowsPerFlush);
  await writeRows(conn, db, 'upload_chunks', chunkValues(fresh, outcomes));
  const completed = await settleCompletions(
    conn,
    db,
    fresh.map((input, i) => ({ input, outcome: outcomes[i]! })),
    redelivered,
    (systemId, uploadId) => filter.has(filterKey.upload(systemId, uploadId)),
  );
  const newKeys = [
    ...rows.flatMap(({ input, record }) => [
      filterKey.record(input.message.system_id, record.id),
      filterKey.content(input.message.system_id, record.content_sha256),
    ]),
    ...fresh.map(filterKey.chunkOf),
    ...completed.map((u) => filterKey.upload(u.systemId, u.uploadId)),
  ];
  return { result: { chunks: [...outcomes, ...earlier], completed, rows }, newKeys };
}

/** Chunks written by an earlier delivery (or twice in this batch) are reported, not rewritten. */
async function splitRedelivered(
  conn: DuckDBConnection,
  db: string,
  filter: ShardFilter,
  inputs: ChunkInput[],
) {
  const maybe = inputs.filter((i) => filter.has(filterKey.chunkOf(i)));
  const uploads = [...new Set(maybe.map(({ message: m }) => uploadKey(m.system_id, m.upload_id)))];
  const rows = await chunkRows(conn, db, uploads);
  const written = new Map(
    rows.map(({ outcome: o, partCount, chunkCount }) => [
      chunkKey(o.systemId, o.uploadId, { part: o.part, partCount, chunk: o.chunk, chunkCount }),
      o,
    ]),
  );
  const fresh: ChunkInput[] = [];
  const redelivered: ChunkInput[] = [];
  const earlier: ChunkOutcome[] = [];
  const inBatch = new Set<string>();
  for (const input of inputs) {
    const key = chunkKeyOf(input);
    const before = written.get(key);
    if (before || inBatch.has(key)) {
      redelivered.push(input);
      if (before) earlier.push(before);
    } else {
      fresh.push(input);
      inBatch.add(key);
    }
  }
  return { fresh, redelivered, earlier };
}
