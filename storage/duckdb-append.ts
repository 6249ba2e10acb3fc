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

const ROWS_PER_CHUNK = 2048;

/** Appends rows in DataChunks of 2048: row-by-row appends of FLOAT[384] are ~10× slower. */
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
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    const slice = rows.slice(start, start + ROWS_PER_CHUNK);
    const chunk = DuckDBDataChunk.create(types, slice.length);
    chunk.setRows(slice);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}
