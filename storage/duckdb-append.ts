import duckdb from '@duckdb/node-bindings';
import {
  arrayValue,
  ARRAY,
  BIGINT,
  BOOLEAN,
  DuckDBArrayType,
  DuckDBDataChunk,
  DuckDBFloatType,
  FLOAT,
  INTEGER,
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
 * A value to append: a Float32Array stands for a FLOAT[n] array (a vector), copied into the
 * chunk in one piece. As a DuckDBArrayValue, its 384 floats would be set one at a time, a
 * JavaScript array of them made first: ~12 µs of the event loop's time per row, and garbage.
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

/** Appends rows in DataChunks of ROWS_PER_TURN, letting the event loop run between them. */
export function appendRows(
  conn: DuckDBConnection,
  db: string,
  table: keyof typeof APPEND_TYPES,
  rows: RowValue[][],
): Promise<void> {
  return appendTypedRows(conn, db, table, APPEND_TYPES[table], rows);
}

/** The same for any table, given its column types in table order. */
export async function appendTypedRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: RowValue[][],
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table, 'main', db);
  for (let start = 0; start < rows.length; start += ROWS_PER_TURN) {
    if (start > 0) await yieldToEventLoop();
    const slice = rows.slice(start, start + ROWS_PER_TURN);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    types.forEach((type, column) =>
      setColumn(
        chunk,
        column,
        type,
        slice.map((row) => row[column] ?? null),
      ),
    );
    appender.appendDataChunk(chunk);
    appender.flushSync();
  }
  appender.closeSync();
}

/** Fills one column of a fresh chunk: vectors in one copy, other values one by one. */
function setColumn(chunk: DuckDBDataChunk, column: number, type: DuckDBType, values: RowValue[]) {
  const size = floatArraySize(type);
  if (size !== undefined && values.every((v) => v instanceof Float32Array)) {
    copyVectors(chunk, column, size, values as Float32Array[]);
    return;
  }
  chunk.setColumnValues(
    column,
    values.map((v) => (v instanceof Float32Array ? arrayValue(Array.from(v)) : v)),
  );
}

/** n of a FLOAT[n] column; undefined for any other type. */
function floatArraySize(type: DuckDBType): number | undefined {
  return type instanceof DuckDBArrayType && type.valueType instanceof DuckDBFloatType
    ? type.length
    : undefined;
}

/**
 * Copies the vectors into the array column's child vector (a fresh chunk's rows are all
 * valid, so only the floats are written). A vector of another length is refused.
 */
function copyVectors(
  chunk: DuckDBDataChunk,
  column: number,
  size: number,
  vectors: Float32Array[],
) {
  const packed = new Float32Array(vectors.length * size);
  vectors.forEach((v, row) => {
    if (v.length !== size) throw new Error(`a vector of ${v.length} floats for FLOAT[${size}]`);
    packed.set(v, row * size);
  });
  const child = duckdb.array_vector_get_child(duckdb.data_chunk_get_vector(chunk.chunk, column));
  duckdb.copy_data_to_vector(child, 0, packed.buffer, 0, packed.byteLength);
}
