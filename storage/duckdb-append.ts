import { isFloat32Array } from 'node:util/types';
import duckdb from '@duckdb/node-bindings';
import {
  ARRAY,
  arrayValue,
  BIGINT,
  BOOLEAN,
  DuckDBDataChunk,
  DuckDBTypeId,
  FLOAT,
  INTEGER,
  DuckDBArrayType,
  LIST,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { yieldToEventLoop } from '../infra';
import { EMBEDDING_DIM } from '../schemas';

/**
 * A value to write: a vector (FLOAT[n]) may be its Float32Array, copied into the chunk in one
 * go; as a DuckDBArrayValue each of its floats is converted on its own (~25 µs a vector).
 */
export type RowValue = DuckDBValue | Float32Array;

/** Column types, in table order, of the tables written through the appender. */
export const APPEND_TYPES: Record<
  'memories' | 'memory_passages' | 'record_keys' | 'upload_chunks' | 'uploads_completed',
  DuckDBType[]
> = {
  memories: [
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
  ],
  memory_passages: [VARCHAR, VARCHAR, INTEGER, INTEGER, INTEGER, ARRAY(FLOAT, EMBEDDING_DIM)],
  record_keys: [VARCHAR, VARCHAR, VARCHAR, TIMESTAMP],
  upload_chunks: [
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
  ],
  uploads_completed: [VARCHAR, VARCHAR, TIMESTAMP, BOOLEAN],
};

/**
 * Rows per DataChunk, each flushed on its own with a turn of the event loop after it: a flush
 * runs on the event loop's thread, ~30 µs per row of 1 KB text and a FLOAT[384], so a
 * transaction of a thousand rows in one flush held searches for tens of milliseconds.
 * Row-by-row appends of FLOAT[384] are ~10× slower; below ~64 rows a flush's own cost shows.
 */
const ROWS_PER_TURN = 128;

/**
 * Rows per DataChunk of a bulk load (a replay's shards): each flush also costs ~2 ms of its
 * own, so 1,024 rows append in about half the time per row of 128, at the price of holding
 * the event loop ~20 ms per flush while the load runs.
 */
export const BULK_ROWS_PER_FLUSH = 1024;

/** Appends rows in DataChunks of `rowsPerFlush`, letting the event loop run between them. */
export function appendRows(
  conn: DuckDBConnection,
  db: string,
  table: keyof typeof APPEND_TYPES,
  rows: RowValue[][],
  rowsPerFlush = ROWS_PER_TURN,
): Promise<void> {
  return appendTypedRows(conn, db, table, APPEND_TYPES[table], rows, rowsPerFlush);
}

/** The same for any table, given its column types in table order. */
export async function appendTypedRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: RowValue[][],
  rowsPerFlush = ROWS_PER_TURN,
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table, 'main', db);
  // one chunk, reset for each flush: fresh memory costs a page fault per 4 KB on first touch
  // (~11 µs each on a VM), more than the copy into it
  const chunk = DuckDBDataChunk.create(types);
  for (let start = 0; start < rows.length; start += rowsPerFlush) {
    if (start > 0) await yieldToEventLoop();
    fillChunk(chunk, types, rows.slice(start, start + rowsPerFlush));
    appender.appendDataChunk(chunk);
    appender.flushSync();
  }
  appender.closeSync();
}

/** Sets the chunk's rows; the vector columns whose cells are all Float32Arrays by copies. */
function fillChunk(chunk: DuckDBDataChunk, types: DuckDBType[], rows: RowValue[][]): void {
  chunk.reset();
  chunk.rowCount = rows.length;
  types.forEach((type, c) => {
    if (type instanceof DuckDBArrayType && allFloat32Arrays(type, rows, c))
      copyToArrayColumn(chunk, c, type.length, rows);
    else
      chunk.setColumnValues(
        c,
        rows.map((row) => duckDBValueOf(row[c]!)),
      );
  });
}

const duckDBValueOf = (v: RowValue): DuckDBValue =>
  isFloat32Array(v) ? arrayValue(Array.from(v)) : v;

/** Column `c` of every row is a Float32Array of the array's length. */
function allFloat32Arrays(type: DuckDBArrayType, rows: RowValue[][], c: number): boolean {
  if (type.valueType.typeId !== DuckDBTypeId.FLOAT) return false;
  return rows.every((row) => isFloat32Array(row[c]) && row[c].length === type.length);
}

/** Writes a FLOAT[n] column's child vector straight from each row's floats (all rows valid). */
function copyToArrayColumn(chunk: DuckDBDataChunk, c: number, n: number, rows: RowValue[][]) {
  const child = duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(chunk.chunk, c));
  rows.forEach((row, r) => {
    const v = row[c] as Float32Array<ArrayBuffer>;
    duckdb.copy_data_to_vector(child, r * n * 4, v.buffer, v.byteOffset, n * 4);
  });
}
