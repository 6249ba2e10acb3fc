import type { DuckDBConnection } from '@duckdb/node-api';
import type { GraphMessage } from '../../schemas';
import { appendTypedRows } from '../duckdb-append';
import { resolveUntypedEnds } from './resolve';
import { entityRows, mentionRows, relationRows } from './rows';
import { STAGE_TYPES, type StageTable } from './schema';
import type { GraphApplyOutcome } from './types';

const KEY = 't.system_id = s.system_id AND t.source_id = s.source_id';
/** The held statement wins: newer, or as new with a digest at least as large (the same one). */
const HELD_WINS = `(t.updated_at > s.updated_at OR (t.updated_at = s.updated_at AND t.digest >= s.digest))`;

/**
 * Applies one message in one transaction on the writer's connection (which owns the staging
 * tables): entities first, so relations and mentions of the same message resolve to them.
 */
export async function applyMessage(
  conn: DuckDBConnection,
  m: GraphMessage,
): Promise<GraphApplyOutcome> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const outcome = await mergeMessage(conn, m);
    await conn.run('COMMIT');
    return outcome;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function mergeMessage(conn: DuckDBConnection, m: GraphMessage): Promise<GraphApplyOutcome> {
  await conn.run('DELETE FROM temp.touched_names');
  const entitiesWritten = await mergeStatements(conn, 'stage_entities', 'entity_statements', m);
  const relationsWritten = await mergeStatements(conn, 'stage_relations', 'relation_statements', m);
  const mentionsWritten = await mergeMentions(conn, m);
  // nothing new: no end is unresolved and no name was touched
  if (entitiesWritten + relationsWritten + mentionsWritten > 0) await resolveUntypedEnds(conn);
  const items = m.entities.length + m.relations.length + m.mentions.length;
  return {
    entitiesWritten,
    relationsWritten,
    mentionsWritten,
    unchanged: items - entitiesWritten - relationsWritten - mentionsWritten,
  };
}

const ROWS = {
  stage_entities: entityRows,
  stage_relations: relationRows,
  stage_mentions: mentionRows,
};

async function stage(conn: DuckDBConnection, table: StageTable, m: GraphMessage): Promise<number> {
  await conn.run(`DELETE FROM temp.${table}`);
  const rows = ROWS[table](m);
  await appendTypedRows(conn, 'temp', table, STAGE_TYPES[table], rows);
  return rows.length;
}

/** Replaces the statements the message's newer ones win over; returns how many it wrote. */
async function mergeStatements(
  conn: DuckDBConnection,
  stageTable: 'stage_entities' | 'stage_relations',
  table: 'entity_statements' | 'relation_statements',
  m: GraphMessage,
): Promise<number> {
  if ((await stage(conn, stageTable, m)) === 0) return 0;
  const s = `temp.${stageTable}`;
  await conn.run(`DELETE FROM ${s} s USING ${table} t WHERE ${KEY} AND ${HELD_WINS}`);
  const written = await countOf(conn, s);
  if (written === 0) return 0;
  if (table === 'entity_statements') await noteTouchedNames(conn);
  await conn.run(`DELETE FROM ${table} t USING ${s} s WHERE ${KEY}`);
  await conn.run(`INSERT INTO ${table} SELECT * FROM ${s}`);
  return written;
}

/** Names whose resolution may change: of the new entity statements and of those they replace. */
async function noteTouchedNames(conn: DuckDBConnection): Promise<void> {
  await conn.run(`INSERT INTO temp.touched_names
    SELECT name_key FROM temp.stage_entities
    UNION SELECT t.name_key FROM entity_statements t JOIN temp.stage_entities s ON ${KEY}`);
}

async function mergeMentions(conn: DuckDBConnection, m: GraphMessage): Promise<number> {
  if ((await stage(conn, 'stage_mentions', m)) === 0) return 0;
  await conn.run(`DELETE FROM temp.stage_mentions s USING mentions t
    WHERE t.system_id = s.system_id AND t.record_id = s.record_id
      AND t.name_key = s.name_key AND t.given_type = s.given_type`);
  await conn.run('INSERT INTO mentions SELECT * FROM temp.stage_mentions');
  return countOf(conn, 'temp.stage_mentions');
}

export async function countOf(conn: DuckDBConnection, table: string): Promise<number> {
  const reader = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM ${table}`);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
