import {
  ARRAY,
  BIGINT,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  LIST,
  TIMESTAMP,
  VARCHAR,
  arrayValue,
  listValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { EMBEDDING_DIM } from '../schemas/record';
import { isoToMicros } from './time';
import {
  chunkKey,
  planWrites,
  recordKey,
  type ChunkInput,
  type ChunkOutcome,
  type KnownRecords,
  type NewRow,
} from './write-plan';

export interface CompletedUpload {
  systemId: string;
  uploadId: string;
  parts: number;
  stored: string[];
  duplicate: string[];
  rejected: string[];
  /** an earlier delivery already published its ingest-complete event */
  eventPublished: boolean;
}

export interface ShardWriteResult {
  chunks: ChunkOutcome[];
  completed: CompletedUpload[];
}

const MEMORY_TYPES: DuckDBType[] = [
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  TIMESTAMP,
  VARCHAR,
  LIST(VARCHAR),
  VARCHAR,
  ARRAY(FLOAT, EMBEDDING_DIM),
  VARCHAR,
  VARCHAR,
  VARCHAR,
  TIMESTAMP,
];
const CHUNK_TYPES: DuckDBType[] = [
  VARCHAR,
  VARCHAR,
  INTEGER,
  INTEGER,
  INTEGER,
  INTEGER,
  LIST(VARCHAR),
  LIST(VARCHAR),
  LIST(VARCHAR),
  BIGINT,
  TIMESTAMP,
];

/**
 * One transaction on one shard: records, chunk bookkeeping and completion commit
 * together, so a crash before COMMIT leaves nothing and a crash after it is
 * recognised on redelivery.
 */
export async function writeShardTransaction(
  conn: DuckDBConnection,
  db: string,
  inputs: ChunkInput[],
  publishedMarks: [string, string][],
): Promise<ShardWriteResult> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await flagPublished(conn, db, publishedMarks);
    const result = await writeChunks(conn, db, inputs);
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function writeChunks(
  conn: DuckDBConnection,
  db: string,
  inputs: ChunkInput[],
): Promise<ShardWriteResult> {
  if (inputs.length === 0) return { chunks: [], completed: [] };
  const seen = await recordedChunks(conn, db, inputs);
  const fresh: ChunkInput[] = [];
  const redelivered: ChunkOutcome[] = [];
  for (const input of inputs) {
    const m = input.message;
    const key = chunkKey(m.system_id, m.upload_id, m.part.index, m.chunk.index);
    const earlier = seen.get(key);
    if (earlier) redelivered.push({ ...earlier, redelivered: true });
    else fresh.push(input);
    if (!earlier) seen.set(key, { ...blankOutcome(input), redelivered: true });
  }
  const { rows, outcomes } = planWrites(fresh, await knownRecords(conn, db, fresh));
  await appendMemories(conn, db, rows);
  await appendChunks(conn, db, fresh, outcomes);
  const completed = await completeUploads(conn, db, inputs);
  return { chunks: [...outcomes, ...redelivered], completed };
}

function blankOutcome(input: ChunkInput): ChunkOutcome {
  const m = input.message;
  return {
    systemId: m.system_id,
    uploadId: m.upload_id,
    part: m.part.index,
    chunk: m.chunk.index,
    stored: [],
    duplicate: [],
    rejected: [],
    redelivered: true,
  };
}

async function flagPublished(
  conn: DuckDBConnection,
  db: string,
  marks: [string, string][],
): Promise<void> {
  if (marks.length === 0) return;
  await conn.run(
    `UPDATE ${db}.uploads_completed SET event_published = true
     WHERE list_contains($1, system_id || chr(31) || upload_id)`,
    [listValue(marks.map(([s, u]) => recordKey(s, u)))],
  );
}

async function recordedChunks(
  conn: DuckDBConnection,
  db: string,
  inputs: ChunkInput[],
): Promise<Map<string, ChunkOutcome>> {
  const uploads = [
    ...new Set(inputs.map((i) => recordKey(i.message.system_id, i.message.upload_id))),
  ];
  const reader = await conn.runAndReadAll(
    `SELECT system_id, upload_id, part, chunk, stored_ids, duplicate_ids, rejected_ids FROM ${db}.upload_chunks
     WHERE list_contains($1, system_id || chr(31) || upload_id)`,
    [listValue(uploads)],
  );
  const map = new Map<string, ChunkOutcome>();
  for (const r of reader.getRowObjectsJS()) {
    const outcome = rowToOutcome(r);
    map.set(chunkKey(outcome.systemId, outcome.uploadId, outcome.part, outcome.chunk), outcome);
  }
  return map;
}

function rowToOutcome(r: Record<string, unknown>): ChunkOutcome {
  return {
    systemId: String(r.system_id),
    uploadId: String(r.upload_id),
    part: Number(r.part),
    chunk: Number(r.chunk),
    stored: r.stored_ids as string[],
    duplicate: r.duplicate_ids as string[],
    rejected: r.rejected_ids as string[],
    redelivered: true,
  };
}

async function knownRecords(
  conn: DuckDBConnection,
  db: string,
  fresh: ChunkInput[],
): Promise<KnownRecords> {
  const known: KnownRecords = { keys: new Set(), contents: new Set() };
  const records = fresh.flatMap((i) =>
    i.message.records.map((r) => ({ systemId: i.message.system_id, r })),
  );
  if (records.length === 0) return known;
  const reader = await conn.runAndReadAll(
    `SELECT system_id, id, content_sha256 FROM ${db}.memories
     WHERE list_contains($1, system_id || chr(31) || id) OR list_contains($2, system_id || chr(31) || content_sha256)`,
    [
      listValue(records.map((x) => recordKey(x.systemId, x.r.id))),
      listValue(records.map((x) => recordKey(x.systemId, x.r.content_sha256))),
    ],
  );
  for (const row of reader.getRowObjectsJS()) {
    known.keys.add(recordKey(String(row.system_id), String(row.id)));
    known.contents.add(recordKey(String(row.system_id), String(row.content_sha256)));
  }
  return known;
}

async function appendRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: DuckDBValue[][],
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table, 'main', db);
  for (let start = 0; start < rows.length; start += 2048) {
    const slice = rows.slice(start, start + 2048);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    chunk.setRows(slice);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

function appendMemories(conn: DuckDBConnection, db: string, rows: NewRow[]): Promise<void> {
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  const values = rows.map(({ input, record: r, vector }): DuckDBValue[] => [
    input.message.system_id,
    r.id,
    r.kind,
    r.content,
    r.content_sha256,
    timestampValue(isoToMicros(r.timestamp)),
    r.project,
    listValue(r.tags),
    JSON.stringify(r.metadata),
    arrayValue(Array.from(vector)),
    r.vector_source,
    input.message.embedder.model,
    input.message.upload_id,
    now,
  ]);
  return appendRows(conn, db, 'memories', MEMORY_TYPES, values);
}

function appendChunks(
  conn: DuckDBConnection,
  db: string,
  fresh: ChunkInput[],
  outcomes: ChunkOutcome[],
): Promise<void> {
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  const values = fresh.map(({ message: m }, i): DuckDBValue[] => {
    const o = outcomes[i]!;
    return [
      m.system_id,
      m.upload_id,
      m.part.index,
      m.part.count,
      m.chunk.index,
      m.chunk.count,
      listValue(o.stored),
      listValue(o.duplicate),
      listValue(o.rejected),
      BigInt(m.upload_seq),
      now,
    ];
  });
  return appendRows(conn, db, 'upload_chunks', CHUNK_TYPES, values);
}

interface ChunkRow {
  systemId: string;
  uploadId: string;
  part: number;
  partCount: number;
  chunkCount: number;
  outcome: ChunkOutcome;
}

/** Uploads touched by this batch whose every part and chunk is now written. */
async function completeUploads(
  conn: DuckDBConnection,
  db: string,
  inputs: ChunkInput[],
): Promise<CompletedUpload[]> {
  const uploads = [
    ...new Set(inputs.map((i) => recordKey(i.message.system_id, i.message.upload_id))),
  ];
  const reader = await conn.runAndReadAll(
    `SELECT c.*, coalesce(d.event_published, false) AS event_published FROM ${db}.upload_chunks c
     LEFT JOIN ${db}.uploads_completed d USING (system_id, upload_id)
     WHERE list_contains($1, c.system_id || chr(31) || c.upload_id) ORDER BY c.part, c.chunk`,
    [listValue(uploads)],
  );
  const byUpload = new Map<string, { rows: ChunkRow[]; published: boolean }>();
  for (const r of reader.getRowObjectsJS()) {
    const row: ChunkRow = {
      systemId: String(r.system_id),
      uploadId: String(r.upload_id),
      part: Number(r.part),
      partCount: Number(r.part_count),
      chunkCount: Number(r.chunk_count),
      outcome: rowToOutcome(r),
    };
    const key = recordKey(row.systemId, row.uploadId);
    const entry = byUpload.get(key) ?? { rows: [], published: Boolean(r.event_published) };
    entry.rows.push(row);
    byUpload.set(key, entry);
  }
  const completed = [...byUpload.values()]
    .filter((u) => isComplete(u.rows))
    .map((u) => summarise(u.rows, u.published));
  await recordCompletion(conn, db, completed);
  return completed;
}

function isComplete(rows: ChunkRow[]): boolean {
  const first = rows[0];
  if (!first) return false;
  const chunksPerPart = new Map<number, number>();
  for (const r of rows) chunksPerPart.set(r.part, (chunksPerPart.get(r.part) ?? 0) + 1);
  if (chunksPerPart.size !== first.partCount) return false;
  return rows.every((r) => chunksPerPart.get(r.part) === r.chunkCount);
}

function summarise(rows: ChunkRow[], published: boolean): CompletedUpload {
  const first = rows[0]!;
  return {
    systemId: first.systemId,
    uploadId: first.uploadId,
    parts: first.partCount,
    stored: rows.flatMap((r) => r.outcome.stored),
    duplicate: rows.flatMap((r) => r.outcome.duplicate),
    rejected: rows.flatMap((r) => r.outcome.rejected),
    eventPublished: published,
  };
}

async function recordCompletion(
  conn: DuckDBConnection,
  db: string,
  completed: CompletedUpload[],
): Promise<void> {
  for (const u of completed) {
    await conn.run(
      `INSERT INTO ${db}.uploads_completed VALUES ($1, $2, now()::TIMESTAMP, false) ON CONFLICT DO NOTHING`,
      [u.systemId, u.uploadId],
    );
  }
}
