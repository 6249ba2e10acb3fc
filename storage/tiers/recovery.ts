import type { Tiers } from './context';
import { finishHotToWarm, rollbackDuckDbCopy } from './hot-to-warm';
import { getMove, openMoves, type MoveEntry } from './journal';
import { recoverRestore } from './restore';
import { TierMoveError } from './verify';
import { warmDbName } from './warm-store';
import { finishWarmToCold, rollbackColdCopy } from './warm-to-cold';

export interface RecoveryReport {
  /** moves finished (source deleted) */
  completed: string[];
  /** moves rolled back (source kept) */
  rolledBack: string[];
}

/**
 * Run once at start, before any move or ingest: finishes or rolls back every move the
 * journals show in progress, so every record ends in exactly one tier.
 *  - hot→warm "copied": verify, then delete hot (mismatch: drop the warm copy)
 *  - warm→cold "planned": delete the planned objects (some may exist), abort
 *  - warm→cold "copied": verify the objects, then delete warm (mismatch: delete objects)
 *  - any "verified": delete the source again (idempotent) and mark "deleted"
 *  - restores: see restore.ts
 */
export async function recover(t: Tiers): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], rolledBack: [] };
  for (const shard of t.warm.shards) {
    const r = await recoverShard(t, shard);
    report.completed.push(...r.completed);
    report.rolledBack.push(...r.rolledBack);
  }
  return report;
}

/** recover() for one shard; the TierMover also runs it before each move of the shard. */
export async function recoverShard(t: Tiers, shard: number): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], rolledBack: [] };
  await t.warm.attach(shard);
  const w = warmDbName(shard);
  await t.moveLock.run(shard, async () => {
    for (const move of await t.withConnection((conn) => openMoves(conn, w))) {
      await recoverMove(t, move);
      const phase = await t.withConnection((conn) => getMove(conn, w, move.moveId));
      (phase === 'deleted' ? report.completed : report.rolledBack).push(move.moveId);
    }
  });
  return report;
}

async function recoverMove(t: Tiers, move: MoveEntry): Promise<void> {
  const w = warmDbName(move.shard);
  const ignoreMismatch = (err: unknown) => {
    if (!(err instanceof TierMoveError)) throw err;
  };
  if (move.from === 'hot' && move.to === 'warm') {
    if (move.phase === 'planned') {
      await t.withConnection((conn) =>
        rollbackDuckDbCopy(conn, w, `${w}.records`, move.moveId, 'recovered from planned'),
      );
      return;
    }
    await t.hot.attach(move.shard);
    await finishHotToWarm(t, move.shard, move.moveId, move.expected!, phaseOf(move)).catch(
      ignoreMismatch,
    );
    return;
  }
  if (move.from === 'warm' && move.to === 'cold') {
    await t.withConnection(async (conn) => {
      if (move.phase === 'planned') {
        await rollbackColdCopy(t, conn, w, move.moveId, move.objects, 'recovered from planned');
        return;
      }
      await finishWarmToCold(t, conn, move.shard, move.moveId, move.objects, phaseOf(move)).catch(
        ignoreMismatch,
      );
    });
    return;
  }
  await recoverRestore(t, move).catch(ignoreMismatch);
}

const phaseOf = (move: MoveEntry): 'copied' | 'verified' =>
  move.phase === 'verified' ? 'verified' : 'copied';
