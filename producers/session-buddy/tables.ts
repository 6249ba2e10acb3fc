import type { DuckDBConnection } from '@duckdb/node-api';
import type { MemoryKind } from '../../schemas';

export interface SourceTable {
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
export const EXTRA_COLUMNS: readonly {
  name: string;
  sqlType: 'VARCHAR' | 'DOUBLE' | 'VARCHAR[]';
}[] = [
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

export interface TablePlan {
  table: SourceTable;
  readSql: string;
  countSql: string;
  newestSql: string;
}

type TableColumns = ReadonlyMap<string, ReadonlySet<string>>;
type ColumnSource = { alias: string; columns: ReadonlySet<string> };

export async function tableColumns(conn: DuckDBConnection): Promise<TableColumns> {
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

export function planTables(path: string, columns: TableColumns): TablePlan[] {
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
  const { from, sources } = fromClause(table, own, columns);
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

/** FROM (and WHERE) of a table read, with the column sources a value may come from, in order. */
function fromClause(
  table: SourceTable,
  own: ReadonlySet<string>,
  columns: TableColumns,
): { from: string; sources: ColumnSource[] } {
  const twin = table.legacy ? columns.get(table.legacy) : undefined;
  const sources: ColumnSource[] = [{ alias: 't', columns: own }];
  let from = `FROM ${quote(table.name)} AS t`;
  if (table.legacy && twin) {
    sources.push({ alias: 'l', columns: twin });
    from += ` LEFT JOIN ${quote(table.legacy)} AS l ON l.id = t.id`;
  }
  if (table.successor && columns.has(table.successor)) {
    from += ` WHERE NOT EXISTS (SELECT 1 FROM ${quote(table.successor)} AS s WHERE s.id = t.id)`;
  }
  return { from, sources };
}

/** COALESCE over every source that has one of the columns, in order; NULL when none has. */
function coalesceColumns(
  sources: readonly ColumnSource[],
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
