import { listValue, timestampValue } from '@duckdb/node-api';
import { decodeVector } from '../embedding';
import { EMBEDDING_DIM } from '../schemas';
import type { RowValue } from './duckdb-append';
import { isoToMicros } from './time';
import type { ChunkInput, ChunkOutcome, NewRow } from './write-plan';

/** Appender rows of the tables a shard transaction writes, in table column order. */

export function memoryValues(rows: NewRow[]): RowValue[][] {
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  return rows.map(({ input, record: r, vector }) => [
    input.message.system_id,
    r.id,
    r.kind,
    r.content,
    r.content_sha256,
    timestampValue(isoToMicros(r.timestamp)),
    r.project,
    listValue(r.tags),
    JSON.stringify(r.metadata),
    vector,
    r.vector_source,
    input.message.embedder.model,
    input.message.upload_id,
    now,
  ]);
}

export function keyValues(rows: NewRow[]): RowValue[][] {
  return rows.map(({ input, record: r }) => [
    input.message.system_id,
    r.id,
    r.content_sha256,
    timestampValue(isoToMicros(r.timestamp)),
  ]);
}

export function passageValues(rows: NewRow[]): RowValue[][] {
  return rows.flatMap(({ input, record: r }) =>
    (r.passages ?? []).map((p, i) => [
      input.message.system_id,
      r.id,
      i,
      p.start,
      p.end,
      decodeVector(p.vector, EMBEDDING_DIM),
    ]),
  );
}

export function chunkValues(fresh: ChunkInput[], outcomes: ChunkOutcome[]): RowValue[][] {
  const now = timestampValue(BigInt(Date.now()) * 1000n);
  return fresh.map(({ message: m }, i) => {
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
}
