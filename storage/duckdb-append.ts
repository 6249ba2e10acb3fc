import {
  ARRAY,
  BIGINT,
  BOOLEAN,
  DuckDBDataChunk,
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
  rows: DuckDBValue[][],
): Promise<void> {
  return appendTypedRows(conn, db, table, APPEND_TYPES[table], rows);
}

/** The same for any table, given its column types in table order. */
export async function appendTypedRows(
  conn: DuckDBConnection,
  db: string,
  table: string,
  types: DuckDBType[],
  rows: DuckDBValue[][],
): Promise<void> {
  if (rows.length === 0) return;
  const appender = await conn.createAppender(table, 'main', db);
  for (let start = 0; start < rows.length; start += ROWS_PER_TURN) {
    if (start > 0) await yieldToEventLoop();
    const slice = rows.slice(start, start + ROWS_PER_TURN);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    chunk.setRows(slice);
    appender.appendDataChunk(chunk);
    appender.flushSync();
  }
  appender.closeSync();
}
