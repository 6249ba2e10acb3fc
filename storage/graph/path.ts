import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { inScopeSql } from './scope';
import type { PathReply, SystemScope } from './types';

export const MAX_PATH_HOPS = 6;
/**
 * New nodes taken per hop: a hub with millions of edges cannot blow memory, at the price
 * that a path behind more than this many equally near nodes may be missed.
 */
export const MAX_FRONTIER = 10_000;

/**
 * The nodes one hop from the frontier over visible edges in either direction that are not
 * visited yet, each with one parent (the smallest id, so the reply is stable); the target
 * first, so the bound never drops it.
 */
const stepSql = (scope: SystemScope) => `
  WITH f AS (SELECT unnest($1::VARCHAR[]) AS id),
  seen AS (SELECT unnest($2::VARCHAR[]) AS id),
  step AS (
    SELECT from_id AS node, to_id AS next FROM relation_statements JOIN f ON from_id = f.id
      WHERE ${inScopeSql(scope)}
    UNION ALL
    SELECT to_id, from_id FROM relation_statements JOIN f ON to_id = f.id
      WHERE ${inScopeSql(scope)}
  )
  SELECT next, min(node) AS parent FROM step WHERE next NOT IN (SELECT id FROM seen)
  GROUP BY next ORDER BY next = $3 DESC, next LIMIT ${MAX_FRONTIER}`;

/** Breadth-first: the first hop that reaches the target gives a shortest path. */
export async function findPath(
  conn: DuckDBConnection,
  sourceId: string,
  targetId: string,
  opts: { maxHops: number; scope: SystemScope },
): Promise<PathReply> {
  const reply = { source_id: sourceId, target_id: targetId };
  if (sourceId === targetId)
    return (await isVisible(conn, sourceId, opts.scope))
      ? { ...reply, path_found: true, path: [sourceId], hops: 0 }
      : { ...reply, path_found: false };
  const maxHops = Math.max(1, Math.min(MAX_PATH_HOPS, Math.trunc(opts.maxHops) || 1));
  const parents = new Map<string, string>([[sourceId, '']]);
  let frontier = [sourceId];
  for (let hop = 1; hop <= maxHops && frontier.length > 0; hop++) {
    const reader = await conn.runAndReadAll(stepSql(opts.scope), [
      listValue(frontier),
      listValue([...parents.keys()]),
      targetId,
    ]);
    frontier = [];
    for (const [next, parent] of reader.getRows().map((r) => r.map(String))) {
      parents.set(next!, parent!);
      frontier.push(next!);
    }
    if (parents.has(targetId)) {
      const path = pathTo(parents, targetId);
      return { ...reply, path_found: true, path, hops: path.length - 1 };
    }
  }
  return { ...reply, path_found: false };
}

function pathTo(parents: Map<string, string>, targetId: string): string[] {
  const path: string[] = [];
  for (let node = targetId; node !== ''; node = parents.get(node) ?? '') path.unshift(node);
  return path;
}

/** A node exists for a caller when a visible statement names it: as an entity or an edge end. */
async function isVisible(conn: DuckDBConnection, id: string, scope: SystemScope): Promise<boolean> {
  const reader = await conn.runAndReadAll(
    `SELECT EXISTS (SELECT 1 FROM entity_statements WHERE entity_id = $1 AND ${inScopeSql(scope)})
      OR EXISTS (SELECT 1 FROM relation_statements
        WHERE (from_id = $1 OR to_id = $1) AND ${inScopeSql(scope)})`,
    [id],
  );
  return reader.getRows()[0]?.[0] === true;
}
