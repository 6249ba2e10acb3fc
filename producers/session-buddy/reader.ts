import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { MemoryRecord } from '../../schemas';
import { localDatabaseCopy, openReadOnly } from './local-copy';
import { toMemoryRecord, type SkippedRow } from './rows';
import { planTables, tableColumns, type TablePlan } from './tables';

/**
 * Reads the memories of a Session-Buddy `reflection.duckdb` (plain or gzip, as it
 * uploads them) as MemoryRecord batches.
 *
 * Layouts (Session-Buddy, session_buddy/reflection/schema.py and memory/schema_v2.py):
 *   conversations (id, content, embedding FLOAT[384], project, timestamp, metadata JSON)
 *   reflections   (id, content, embedding FLOAT[384], project, tags VARCHAR[], timestamp, metadata JSON)
 *   conversations_v2 / reflections_v2: the same core columns plus category, importance_score,
 *   memory_tier, namespace, ... (metadata is VARCHAR holding JSON in conversations_v2).
 * Its adapter can also create a v2 table with only created_at/updated_at instead of timestamp
 * and no project, so columns are looked up rather than assumed.
 *
 * Where a v2 table and its legacy twin both hold an id, the v2 row is read and the legacy one
 * skipped: Session-Buddy's v1→v2 migration copies rows by id, so they are one memory. The copy
 * drops metadata (and a reflection's project), so those are filled from the legacy row. Doing
 * this here means an import never depends on how downstream dedupes repeated ids.
 */

export interface ReadOptions {
  /** records per yielded batch; default 1000 */
  batchSize?: number;
  /** rows that cannot become a valid MemoryRecord (empty content, no timestamp, ...) */
  onSkip?: (row: SkippedRow) => void;
}

export interface SessionBuddyFile {
  readonly path: string;
  /** the Session-Buddy tables found, in reading order */
  readonly tables: readonly string[];
  /** sha256 of the DuckDB bytes (after gunzip): the same database gives the same hash compressed or not */
  readonly contentSha256: string;
  count(): Promise<number>;
  /** newest finite record timestamp as ISO (UTC), undefined when there is none */
  newestTimestamp(): Promise<string | undefined>;
  batches(opts?: ReadOptions): AsyncGenerator<MemoryRecord[]>;
  close(): void;
}

/** Yields the file's records in batches; the file (and any temp copy) is closed when iteration ends. */
export async function* readSessionBuddyFile(
  path: string,
  opts: ReadOptions = {},
): AsyncGenerator<MemoryRecord[]> {
  const file = await openSessionBuddyFile(path);
  try {
    yield* file.batches(opts);
  } finally {
    file.close();
  }
}

/** Rows that will be read (an upper bound on records: invalid rows are skipped while reading). */
export async function countSessionBuddyRecords(path: string): Promise<number> {
  const file = await openSessionBuddyFile(path);
  try {
    return await file.count();
  } finally {
    file.close();
  }
}

export async function openSessionBuddyFile(path: string): Promise<SessionBuddyFile> {
  const local = await localDatabaseCopy(path);
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    instance = await openReadOnly(path, local.dbPath);
    conn = await instance.connect();
    // Naive TIMESTAMP values are UTC; TIMESTAMPTZ values are rendered in UTC.
    await conn.run(`SET TimeZone = 'UTC'`);
    const plans = planTables(path, await tableColumns(conn));
    return new OpenSessionBuddyFile(path, local.sha256, plans, instance, conn, local.cleanup);
  } catch (err) {
    conn?.closeSync();
    instance?.closeSync();
    local.cleanup();
    throw err;
  }
}

class OpenSessionBuddyFile implements SessionBuddyFile {
  constructor(
    readonly path: string,
    readonly contentSha256: string,
    private readonly plans: TablePlan[],
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly cleanup: () => void,
  ) {}

  get tables(): string[] {
    return this.plans.map((p) => p.table.name);
  }

  async count(): Promise<number> {
    let total = 0;
    for (const plan of this.plans) total += Number((await this.firstRow(plan.countSql)).n);
    return total;
  }

  async newestTimestamp(): Promise<string | undefined> {
    const newest: string[] = [];
    for (const plan of this.plans) {
      const value = (await this.firstRow(plan.newestSql)).newest;
      if (typeof value === 'string') newest.push(value);
    }
    return newest.sort().at(-1);
  }

  /** Streams each table (DuckDB hands over 2048-row chunks), so a large file is never loaded at once. */
  async *batches({ batchSize = 1000, onSkip }: ReadOptions = {}): AsyncGenerator<MemoryRecord[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    let batch: MemoryRecord[] = [];
    for (const plan of this.plans) {
      const result = await this.conn.stream(plan.readSql);
      for await (const rows of result.yieldRowObjectJs()) {
        for (const row of rows) {
          const mapped = toMemoryRecord(row, plan.table);
          if ('skip' in mapped) {
            onSkip?.(mapped.skip);
            continue;
          }
          batch.push(mapped.record);
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
    this.cleanup();
  }

  private async firstRow(sql: string): Promise<Record<string, unknown>> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS()[0] ?? {};
  }
}
