import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColdObject } from './cold-store';
import { sqlString, tsSql } from './sql';
import type { Stats } from './verify';

export type Tier = 'hot' | 'warm' | 'cold';
export type Phase = 'planned' | 'copied' | 'verified' | 'deleted' | 'aborted';

/** One row of a shard's move journal (`tier_moves` in its warm file). */
export interface MoveEntry {
  moveId: string;
  shard: number;
  from: Tier;
  to: Tier;
  phase: Phase;
  expected: Stats | null;
  objects: ColdObject[];
  error: string | null;
}

export async function insertMove(
  conn: DuckDBConnection,
  db: string,
  e: Omit<MoveEntry, 'error'>,
): Promise<void> {
  const now = tsSql(new Date());
  await conn.run(
    `INSERT INTO ${db}.tier_moves VALUES (${sqlString(e.moveId)}, ${e.shard}, '${e.from}', '${e.to}',
      '${e.phase}', ${e.expected ? sqlString(JSON.stringify(e.expected)) : 'NULL'},
      ${sqlString(JSON.stringify(e.objects))}, NULL, ${now}, ${now})`,
  );
}

export async function setPhase(
  conn: DuckDBConnection,
  db: string,
  moveId: string,
  phase: Phase,
  patch: { objects?: ColdObject[]; error?: string } = {},
): Promise<void> {
  const sets = [`phase = '${phase}'`, `updated_at = ${tsSql(new Date())}`];
  if (patch.objects) sets.push(`objects = ${sqlString(JSON.stringify(patch.objects))}`);
  if (patch.error !== undefined) sets.push(`error = ${sqlString(patch.error)}`);
  await conn.run(
    `UPDATE ${db}.tier_moves SET ${sets.join(', ')} WHERE move_id = ${sqlString(moveId)}`,
  );
}

/** Moves that neither finished nor were rolled back, oldest first. */
export async function openMoves(conn: DuckDBConnection, db: string): Promise<MoveEntry[]> {
  const reader = await conn.runAndReadAll(
    `SELECT * FROM ${db}.tier_moves WHERE phase NOT IN ('deleted', 'aborted') ORDER BY started_at, move_id`,
  );
  return reader.getRowObjectsJS().map((r) => ({
    moveId: String(r.move_id),
    shard: Number(r.shard),
    from: String(r.from_tier) as Tier,
    to: String(r.to_tier) as Tier,
    phase: String(r.phase) as Phase,
    expected: r.expected === null ? null : (JSON.parse(String(r.expected)) as Stats),
    objects: JSON.parse(String(r.objects)) as ColdObject[],
    error: r.error === null ? null : String(r.error),
  }));
}

export async function getMove(
  conn: DuckDBConnection,
  db: string,
  moveId: string,
): Promise<Phase | null> {
  const reader = await conn.runAndReadAll(
    `SELECT phase FROM ${db}.tier_moves WHERE move_id = ${sqlString(moveId)}`,
  );
  const row = reader.getRowObjectsJS()[0];
  return row ? (String(row.phase) as Phase) : null;
}

/** Runs `task` in a transaction on `conn`. */
export async function inTransaction<T>(conn: DuckDBConnection, task: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const result = await task();
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export const newMoveId = (kind: string, shard: number) =>
  `${kind}-${String(shard).padStart(3, '0')}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
