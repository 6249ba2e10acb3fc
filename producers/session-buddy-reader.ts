import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { RECORD_ID_PATTERN } from '../schemas/ids';
import { EMBEDDING_DIM, MemoryRecord, type MemoryKind } from '../schemas/record';

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

interface SourceTable {
  name: string;
  kind: MemoryKind;
  /** legacy table whose rows fill what a migrated v2 copy left empty */
  legacy?: string;
  /** v2 table that supersedes this legacy one for ids it holds */
  successor?: string;
}

/** v2 first: Session-Buddy's current tables; legacy rows follow only for ids v2 does not hold. */
export const SESSION_BUDDY_TABLES: readonly SourceTable[] = [
  { name: 'conversations_v2', kind: 'conversation', legacy: 'conversations' },
  { name: 'reflections_v2', kind: 'reflection', legacy: 'reflections' },
  { name: 'conversations', kind: 'conversation', successor: 'conversations_v2' },
  { name: 'reflections', kind: 'reflection', successor: 'reflections_v2' },
];

/** v2 columns carried into metadata, as Session-Buddy's own HTTP push does. */
const EXTRA_COLUMNS: readonly { name: string; sqlType: 'VARCHAR' | 'DOUBLE' | 'VARCHAR[]' }[] = [
  { name: 'category', sqlType: 'VARCHAR' },
  { name: 'subcategory', sqlType: 'VARCHAR' },
  { name: 'importance_score', sqlType: 'DOUBLE' },
  { name: 'memory_tier', sqlType: 'VARCHAR' },
  { name: 'namespace', sqlType: 'VARCHAR' },
  { name: 'session_id', sqlType: 'VARCHAR' },
  { name: 'user_id', sqlType: 'VARCHAR' },
  { name: 'source_type', sqlType: 'VARCHAR' },
  { name: 'reasoning', sqlType: 'VARCHAR' },
  { name: 'insight_type', sqlType: 'VARCHAR' },
  { name: 'related_entities', sqlType: 'VARCHAR[]' },
  { name: 'conversation_id', sqlType: 'VARCHAR' },
  { name: 'turn_parent_id', sqlType: 'VARCHAR' },
  { name: 'causal_parent_id', sqlType: 'VARCHAR' },
];

/** First non-null wins: Session-Buddy's adapter tables have created_at/updated_at only. */
const TIMESTAMP_COLUMNS = ['timestamp', 'created_at', 'updated_at'] as const;
const ISO_FORMAT = `'%Y-%m-%dT%H:%M:%S.%fZ'`;

export interface SkippedRow {
  table: string;
  id: string | null;
  reason: string;
}

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

/** One thread keeps the read order fixed, so the same file always yields the same batches. */
async function openReadOnly(path: string, dbPath: string): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY', threads: '1' });
  } catch (err) {
    throw new Error(`cannot open ${path} as a DuckDB database: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * A record id outside RECORD_ID_PATTERN becomes `sb-` + 40 hex of its sha256: stable across
 * imports, so dedupe by id still works; the original goes to metadata.original_id.
 */
export function mappedRecordId(originalId: string): string {
  return `sb-${createHash('sha256').update(originalId, 'utf8').digest('hex').slice(0, 40)}`;
}

interface TablePlan {
  table: SourceTable;
  readSql: string;
  countSql: string;
  newestSql: string;
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

// ---------------------------------------------------------------- file handling

interface LocalDatabase {
  dbPath: string;
  sha256: string;
  cleanup: () => void;
}

/** DuckDB cannot read gzip: such a file is gunzipped (streaming) into a temp dir removed on close. */
async function localDatabaseCopy(path: string): Promise<LocalDatabase> {
  const hash = createHash('sha256');
  if (!(await isGzip(path))) {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { dbPath: path, sha256: hash.digest('hex'), cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'akosha-session-buddy-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const dbPath = join(dir, 'reflection.duckdb');
  const hashTap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(path), createGunzip(), hashTap, createWriteStream(dbPath));
  } catch (err) {
    cleanup();
    throw new Error(
      `${path} looks gzip-compressed but cannot be decompressed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return { dbPath, sha256: hash.digest('hex'), cleanup };
}

/**
 * gzip starts with 1f 8b; a DuckDB file has "DUCK" at offset 8 after a checksum, which is
 * checked first because that checksum may itself start with 1f 8b.
 */
async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    if (bytesRead === 12 && head.toString('latin1', 8, 12) === 'DUCK') return false;
    return bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------- SQL

type TableColumns = ReadonlyMap<string, ReadonlySet<string>>;

async function tableColumns(conn: DuckDBConnection): Promise<TableColumns> {
  const reader = await conn.runAndReadAll(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_catalog = current_database()`,
  );
  const columns = new Map<string, Set<string>>();
  for (const row of reader.getRowObjectsJS()) {
    const table = String(row.table_name).toLowerCase();
    columns.set(
      table,
      (columns.get(table) ?? new Set()).add(String(row.column_name).toLowerCase()),
    );
  }
  return columns;
}

function planTables(path: string, columns: TableColumns): TablePlan[] {
  const present = SESSION_BUDDY_TABLES.filter((t) => columns.has(t.name));
  if (present.length === 0) {
    const names = SESSION_BUDDY_TABLES.map((t) => t.name).join(', ');
    throw new Error(`${path} is not a Session-Buddy database: none of the tables ${names} exists`);
  }
  return present.map((table) => {
    for (const required of ['id', 'content']) {
      if (!columns.get(table.name)?.has(required)) {
        throw new Error(
          `${path}: table ${table.name} has no "${required}" column, so it is not Session-Buddy's`,
        );
      }
    }
    return planTable(table, columns);
  });
}

/** A table and, for v2, its legacy twin joined by id (aliases t and l). */
function planTable(table: SourceTable, columns: TableColumns): TablePlan {
  const own = columns.get(table.name) ?? new Set<string>();
  const twin = table.legacy ? columns.get(table.legacy) : undefined;
  const sources: { alias: string; columns: ReadonlySet<string> }[] = [{ alias: 't', columns: own }];
  let from = `FROM ${quote(table.name)} AS t`;
  if (table.legacy && twin) {
    sources.push({ alias: 'l', columns: twin });
    from += ` LEFT JOIN ${quote(table.legacy)} AS l ON l.id = t.id`;
  }
  if (table.successor && columns.has(table.successor)) {
    from += ` WHERE NOT EXISTS (SELECT 1 FROM ${quote(table.successor)} AS s WHERE s.id = t.id)`;
  }
  const coalesce = (names: readonly string[], sqlType: string) =>
    coalesceColumns(sources, names, sqlType);
  const utc = `CAST(${coalesce(TIMESTAMP_COLUMNS, 'TIMESTAMPTZ')} AS TIMESTAMP)`;
  const extras = EXTRA_COLUMNS.filter((c) => own.has(c.name)).map(
    (c) => `TRY_CAST(t.${quote(c.name)} AS ${c.sqlType}) AS ${quote(c.name)}`,
  );
  const select = [
    `CAST(t.id AS VARCHAR) AS id`,
    `CAST(t.content AS VARCHAR) AS content`,
    `${coalesce(['embedding'], 'DOUBLE[]')} AS embedding`,
    `strftime(${utc}, ${ISO_FORMAT}) AS ts`,
    `${coalesce(['project'], 'VARCHAR')} AS project`,
    `${coalesce(['tags'], 'VARCHAR[]')} AS tags`,
    `${coalesce(['metadata'], 'VARCHAR')} AS metadata`,
    ...extras,
  ];
  return {
    table,
    readSql: `SELECT ${select.join(', ')} ${from}`,
    countSql: `SELECT count(*) AS n ${from}`,
    newestSql: `SELECT strftime(max(${utc}) FILTER (WHERE isfinite(${utc})), ${ISO_FORMAT}) AS newest ${from}`,
  };
}

/** COALESCE over every source that has one of the columns, in order; NULL when none has. */
function coalesceColumns(
  sources: readonly { alias: string; columns: ReadonlySet<string> }[],
  names: readonly string[],
  sqlType: string,
): string {
  const terms = sources.flatMap((s) =>
    names
      .filter((n) => s.columns.has(n))
      .map((n) => `TRY_CAST(${s.alias}.${quote(n)} AS ${sqlType})`),
  );
  if (terms.length === 0) return `CAST(NULL AS ${sqlType})`;
  return terms.length === 1 ? (terms[0] as string) : `COALESCE(${terms.join(', ')})`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------- rows

type Mapped = { record: MemoryRecord } | { skip: SkippedRow };

function toMemoryRecord(row: Record<string, unknown>, table: SourceTable): Mapped {
  const originalId = typeof row.id === 'string' ? row.id : null;
  const skip = (reason: string): Mapped => ({
    skip: { table: table.name, id: originalId, reason },
  });
  if (originalId === null) return skip('no id');
  if (typeof row.ts !== 'string') return skip('no timestamp');
  const idIsValid = RECORD_ID_PATTERN.test(originalId);
  const candidate: Record<string, unknown> = {
    id: idIsValid ? originalId : mappedRecordId(originalId),
    kind: table.kind,
    content: row.content,
    timestamp: row.ts,
    metadata: recordMetadata(row, table, idIsValid ? undefined : originalId),
  };
  if (typeof row.project === 'string') candidate.project = row.project;
  if (Array.isArray(row.tags))
    candidate.tags = row.tags.filter((t): t is string => typeof t === 'string');
  const embedding = usableEmbedding(row.embedding);
  if (embedding) candidate.embedding = embedding;
  const parsed = MemoryRecord.safeParse(candidate);
  if (!parsed.success) {
    return skip(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; '),
    );
  }
  return { record: parsed.data };
}

/** The row's own metadata wins over the v2 columns; provenance keys are set last. */
function recordMetadata(
  row: Record<string, unknown>,
  table: SourceTable,
  originalId: string | undefined,
): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const { name } of EXTRA_COLUMNS) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    metadata[name] = Array.isArray(value) ? value.filter((v) => v !== null) : value;
  }
  Object.assign(metadata, parseMetadata(row.metadata));
  metadata.session_buddy_table = table.name;
  if (originalId !== undefined) metadata.original_id = originalId;
  return metadata;
}

/** JSON object → as is; other JSON, or text that is not JSON → `{value}`. */
export function parseMetadata(raw: unknown): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { value: raw };
    }
  }
  if (value === null) return {};
  return typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

/** Kept only when it has 384 finite numbers; anything else is left for the embed stage to compute. */
function usableEmbedding(raw: unknown): number[] | undefined {
  if (!Array.isArray(raw) || raw.length !== EMBEDDING_DIM) return undefined;
  return raw.every((v): v is number => typeof v === 'number' && Number.isFinite(v))
    ? raw
    : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
