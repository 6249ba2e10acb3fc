import type { DuckDBConnection } from '@duckdb/node-api';
import { GRAPH_SCHEMA_VERSION, type GraphMessageInput } from '../../schemas';
import { toStatement, type GraphStatement } from './graph-rows';
import { planMemoryGraph } from './graph-memory-tables';
import { planKnowledgeGraph, type GraphPlan } from './graph-tables';
import { localDatabaseCopy, openReadOnly } from './local-copy';
import type { SkippedRow } from './rows';
import { tableColumns } from './tables';

/**
 * Reads the knowledge graph of a Session-Buddy file (plain or gzip) as graph messages:
 *   knowledgeGraph — knowledge_graph.duckdb: kg_entities and kg_relationships (ends resolved
 *                    from ids to names and types);
 *   reflection     — a v2 reflection.duckdb: memory_entities (one entity per type and name, and
 *                    a mention of it by each memory) and memory_relationships.
 * Missing tables yield nothing; a file that is not DuckDB throws.
 */
export type GraphFileKind = 'knowledgeGraph' | 'reflection';

export const STATEMENTS_PER_BATCH = 2000;

export interface GraphReadOptions {
  systemId: string;
  /** batch ids are `<batchIdPrefix>_g<n>` */
  batchIdPrefix: string;
  /** n of the first batch; default 1 (a second file continues the numbering) */
  firstBatchNumber?: number;
  statementsPerBatch?: number;
  source?: { uploader?: string; version?: string };
  /** rows that cannot become a valid statement, and tables that cannot be mapped */
  onSkip?: (row: SkippedRow) => void;
}

export async function* readSessionBuddyGraph(
  path: string,
  kind: GraphFileKind,
  opts: GraphReadOptions,
): AsyncGenerator<GraphMessageInput> {
  const local = await localDatabaseCopy(path);
  try {
    const instance = await openReadOnly(path, local.dbPath);
    const conn = await instance.connect();
    try {
      // Naive TIMESTAMP values are UTC; TIMESTAMPTZ values are rendered in UTC.
      await conn.run(`SET TimeZone = 'UTC'`);
      const columns = await tableColumns(conn);
      const plan =
        kind === 'knowledgeGraph' ? planKnowledgeGraph(columns) : planMemoryGraph(columns);
      yield* batchesOf(statements(conn, plan, opts.onSkip), opts);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  } finally {
    local.cleanup();
  }
}

/** Every statement of the plan in order; DuckDB hands rows over in chunks, never all at once. */
async function* statements(
  conn: DuckDBConnection,
  plan: GraphPlan,
  onSkip: ((row: SkippedRow) => void) | undefined,
): AsyncGenerator<GraphStatement> {
  for (const row of plan.unmapped) onSkip?.(row);
  for (const query of plan.queries) {
    const result = await conn.stream(query.sql);
    for await (const rows of result.yieldRowObjectJs()) {
      for (const row of rows) {
        const mapped = toStatement(query, row);
        if ('skip' in mapped) onSkip?.(mapped.skip);
        else yield mapped;
      }
    }
  }
}

async function* batchesOf(
  source: AsyncIterable<GraphStatement>,
  opts: GraphReadOptions,
): AsyncGenerator<GraphMessageInput> {
  const limit = opts.statementsPerBatch ?? STATEMENTS_PER_BATCH;
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`statementsPerBatch must be a positive integer, got ${limit}`);
  let n = opts.firstBatchNumber ?? 1;
  let batch = emptyBatch(opts, n);
  let size = 0;
  for await (const statement of source) {
    if ('entity' in statement) batch.entities!.push(statement.entity);
    else if ('relation' in statement) batch.relations!.push(statement.relation);
    else batch.mentions!.push(statement.mention);
    if (++size < limit) continue;
    yield batch;
    batch = emptyBatch(opts, ++n);
    size = 0;
  }
  if (size > 0) yield batch;
}

function emptyBatch(opts: GraphReadOptions, n: number): GraphMessageInput {
  return {
    schema_version: GRAPH_SCHEMA_VERSION,
    system_id: opts.systemId,
    batch_id: `${opts.batchIdPrefix}_g${n}`,
    created_at: new Date().toISOString(),
    ...(opts.source ? { source: opts.source } : {}),
    entities: [],
    relations: [],
    mentions: [],
  };
}
