import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { normaliseEntityPart } from '../../schemas';
import { preparedStatement } from '../duckdb-prepared';
import { isoSql } from '../time';
import { recordKey } from '../write-plan';
import { inScopeSql } from './scope';
import type { EntityDetail, LinkedEntity, NeighborsReply, SystemScope } from './types';

export const MAX_NEIGHBORS = 10_000;

const parseJson = (text: unknown): Record<string, unknown> =>
  JSON.parse(String(text)) as Record<string, unknown>;

/**
 * Edges touching the entity in either direction, one per (from, to, type): weight = visible
 * systems stating it, properties of its newest statement.
 */
const neighborsSql = (scope: SystemScope, byType: boolean) => `
  WITH r AS (
    SELECT *, CASE WHEN from_id = $1 THEN to_id ELSE from_id END AS other,
      CASE WHEN from_id = $1 THEN to_type ELSE from_type END AS other_type
    FROM relation_statements
    WHERE (from_id = $1 OR to_id = $1) AND ${inScopeSql(scope)}
      ${byType ? 'AND relation_type = $3' : ''}
  ), edges AS (
    SELECT from_id, to_id, relation_type, other, min(other_type) AS other_type,
      count(DISTINCT system_id)::INTEGER AS weight,
      arg_max(properties, (updated_at, system_id, source_id)) AS properties
    FROM r GROUP BY from_id, to_id, relation_type, other
  )
  SELECT other AS entity_id, other_type AS entity_type, relation_type AS edge_type, weight,
    properties, (count(*) OVER ())::INTEGER AS total
  FROM edges ORDER BY weight DESC, entity_id, edge_type, from_id LIMIT greatest($2, 1)`;

export async function neighbors(
  conn: DuckDBConnection,
  entityId: string,
  opts: { edgeType?: string | undefined; limit: number; scope: SystemScope },
): Promise<NeighborsReply> {
  const limit = Math.max(0, Math.min(MAX_NEIGHBORS, Math.trunc(opts.limit)));
  const byType = opts.edgeType !== undefined;
  const params = [entityId, limit, ...(byType ? [normaliseEntityPart(opts.edgeType!)] : [])];
  // at least one row even for limit 0: it carries the total
  const reader = await conn.runAndReadAll(neighborsSql(opts.scope, byType), params);
  const rows = reader.getRowObjectsJS();
  return {
    entity_id: entityId,
    total_neighbors: Number(rows[0]?.total ?? 0),
    neighbors: rows.slice(0, limit).map((r) => ({
      entity_id: String(r.entity_id),
      entity_type: String(r.entity_type),
      edge_type: String(r.edge_type),
      weight: Number(r.weight),
      properties: parseJson(r.properties),
    })),
  };
}

/** Every visible statement of the entity, merged: the newest statement's name and properties win. */
export async function entityDetail(
  conn: DuckDBConnection,
  entityId: string,
  scope: SystemScope,
): Promise<EntityDetail | null> {
  const reader = await conn.runAndReadAll(
    `SELECT system_id, source_id, entity_type, name, observations, properties,
       ${isoSql('updated_at')} AS updated_at
     FROM entity_statements WHERE entity_id = $1 AND ${inScopeSql(scope)}
     ORDER BY updated_at DESC, system_id, source_id`,
    [entityId],
  );
  const rows = reader.getRowObjectsJS();
  const newest = rows[0];
  if (!newest) return null;
  const sources = rows
    .map((r) => ({ system_id: String(r.system_id), source_id: String(r.source_id) }))
    .sort(
      (a, b) => a.system_id.localeCompare(b.system_id) || a.source_id.localeCompare(b.source_id),
    );
  return {
    entity_id: entityId,
    entity_type: String(newest.entity_type),
    name: String(newest.name),
    systems: [...new Set(sources.map((s) => s.system_id))],
    sources,
    observations: [...new Set(rows.flatMap((r) => (r.observations as string[]) ?? []))],
    properties: Object.assign({}, ...rows.reverse().map((r) => parseJson(r.properties))),
    updated_at: String(newest.updated_at),
  };
}

/** The entities each record mentions; the name is the mentioning system's newest statement's. */
export async function entitiesOfRecords(
  conn: DuckDBConnection,
  records: readonly { system_id: string; id: string }[],
): Promise<Map<string, LinkedEntity[]>> {
  const out = new Map<string, LinkedEntity[]>();
  if (records.length === 0) return out;
  // kept prepared: every search asks, and each trip to DuckDB's threads is a wait
  const query = await preparedStatement(
    conn,
    `WITH k AS (SELECT unnest($1::VARCHAR[]) AS system_id, unnest($2::VARCHAR[]) AS record_id)
     SELECT m.system_id, m.record_id, m.entity_id, min(m.entity_type) AS entity_type,
       coalesce(arg_max(e.name, (e.system_id = m.system_id, e.updated_at, e.source_id)),
         min(m.name_key)) AS name
     FROM mentions m JOIN k ON m.system_id = k.system_id AND m.record_id = k.record_id
       LEFT JOIN entity_statements e ON e.entity_id = m.entity_id
     GROUP BY m.system_id, m.record_id, m.entity_id ORDER BY m.entity_id`,
  );
  query.bind([listValue(records.map((r) => r.system_id)), listValue(records.map((r) => r.id))]);
  const reader = await query.runAndReadAll();
  for (const r of reader.getRowObjectsJS()) {
    const key = recordKey(String(r.system_id), String(r.record_id));
    const linked = {
      entity_id: String(r.entity_id),
      entity_type: String(r.entity_type),
      name: String(r.name),
    };
    out.set(key, [...(out.get(key) ?? []), linked]);
  }
  return out;
}
