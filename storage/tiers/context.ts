import type { DuckDBConnection } from '@duckdb/node-api';
import { hitFaultPoint } from '../../infra';
import type { HotStore } from '../hot-store';
import { KeyedLock } from '../keyed-lock';
import type { ColdStore } from './cold-store';
import type { WarmStore } from './warm-store';

export type MoveKind = 'hot-warm' | 'warm-cold' | 'warm-hot' | 'cold-hot';
/** Named points of a move; a test hook can stop the process there. */
export type MovePoint = 'mid-copy' | 'after-copy' | 'after-verify' | 'mid-delete';

export interface TierOptions {
  /** called at each point of each move (fault tests kill the process here) */
  onPoint?: (move: MoveKind, point: MovePoint) => void | Promise<void>;
}

/** What the mover and restore share: the stores, one lock per shard for moves, a hook. */
export class Tiers {
  readonly moveLock = new KeyedLock<number>();

  constructor(
    readonly hot: HotStore,
    readonly warm: WarmStore,
    readonly cold: ColdStore,
    readonly options: TierOptions = {},
  ) {}

  async point(move: MoveKind, point: MovePoint): Promise<void> {
    hitFaultPoint(`${move}:${point}`);
    await this.options.onPoint?.(move, point);
  }

  /** A connection of the shared instance, closed after `task`. */
  async withConnection<T>(task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.hot.connect();
    try {
      return await task(conn);
    } finally {
      conn.closeSync();
    }
  }
}
