import type { Tier } from './journal';
import { sqlString } from './sql';

/** What one move of one shard did; `moveId` is null when there was nothing to move. */
export interface MoveResult {
  moveId: string | null;
  from: Tier;
  to: Tier;
  shard: number;
  records: number;
  /** bytes written to the target (cold objects); 0 for DuckDB targets */
  bytes: number;
  objects: number;
  durationMs: number;
}

/** The records of a move, joined with the move's keys. */
export const inMove = (table: string, keys: string, moveId: string, alias = 'm') =>
  `FROM ${table} ${alias} JOIN ${keys} k ON ${alias}.system_id = k.system_id AND ${alias}.id = k.id
   AND k.move_id = ${sqlString(moveId)}`;
