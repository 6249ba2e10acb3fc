import { LIST, TIMESTAMP, VARCHAR, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';

/**
 * Statement tables. A relation end or mention sent without a type keeps its name key and an
 * empty `*_given_type`; its resolved id and type are recomputed whenever an entity of that
 * name changes, so the stored resolution depends only on the statements held, not on the
 * order they arrived in. No primary keys: the one writer keeps keys unique itself (DuckDB's
 * unique indexes reject a delete and re-insert of a key within one transaction).
 */
const ENTITY_COLUMNS = `system_id VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
  entity_id VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, name VARCHAR NOT NULL,
  name_key VARCHAR NOT NULL, observations VARCHAR[] NOT NULL, properties VARCHAR NOT NULL,
  metadata VARCHAR NOT NULL, created_at TIMESTAMP, updated_at TIMESTAMP NOT NULL,
  digest VARCHAR NOT NULL`;

const RELATION_COLUMNS = `system_id VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
  from_name_key VARCHAR NOT NULL, from_given_type VARCHAR NOT NULL, from_id VARCHAR,
  from_type VARCHAR, to_name_key VARCHAR NOT NULL, to_given_type VARCHAR NOT NULL,
  to_id VARCHAR, to_type VARCHAR, relation_type VARCHAR NOT NULL, properties VARCHAR NOT NULL,
  metadata VARCHAR NOT NULL, created_at TIMESTAMP, updated_at TIMESTAMP NOT NULL,
  digest VARCHAR NOT NULL`;

const MENTION_COLUMNS = `system_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
  name_key VARCHAR NOT NULL, given_type VARCHAR NOT NULL, entity_id VARCHAR,
  entity_type VARCHAR`;

const V = VARCHAR;
/** Appender column types of the staging tables, in table order. */
export const STAGE_TYPES: Record<StageTable, DuckDBType[]> = {
  stage_entities: [V, V, V, V, V, V, LIST(V), V, V, TIMESTAMP, TIMESTAMP, V],
  stage_relations: [V, V, V, V, V, V, V, V, V, V, V, V, V, TIMESTAMP, TIMESTAMP, V],
  stage_mentions: [V, V, V, V, V, V],
};
export type StageTable = 'stage_entities' | 'stage_relations' | 'stage_mentions';

export async function createGraphTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS entity_statements (${ENTITY_COLUMNS})`);
  await conn.run(`CREATE TABLE IF NOT EXISTS relation_statements (${RELATION_COLUMNS})`);
  await conn.run(`CREATE TABLE IF NOT EXISTS mentions (${MENTION_COLUMNS})`);
}

/** Per-connection staging tables of the writer: one message's rows before they are merged. */
export async function createStageTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TEMP TABLE stage_entities (${ENTITY_COLUMNS})`);
  await conn.run(`CREATE TEMP TABLE stage_relations (${RELATION_COLUMNS})`);
  await conn.run(`CREATE TEMP TABLE stage_mentions (${MENTION_COLUMNS})`);
  await conn.run(`CREATE TEMP TABLE touched_names (name_key VARCHAR NOT NULL)`);
}
