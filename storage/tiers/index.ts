import type { HotStore } from '../hot-store';
import { ColdStore } from './cold-store';
import type { ColdReadLimits } from '../../infra';
import { Tiers, type TierOptions } from './context';
import { moveHotToWarm } from './hot-to-warm';
import { fillKeyIndex } from './key-fill';
import { keysByTier } from './tier-keys';
import { recover, recoverShard } from './recovery';
import { deleteExpired } from './retention';
import { moveWarmToCold } from './warm-to-cold';
import { shardOf } from '../../schemas';
import {
  LocalObjectStore,
  S3ObjectStore,
  s3Client,
  type ObjectStore,
  type S3StoreOptions,
} from './object-store';
import { restoreToHot } from './restore';
import { WarmStore } from './warm-store';

export { Tiers } from './context';
export type { MoveKind, MovePoint, TierOptions } from './context';
export type { MoveResult } from './moves';
export type { RecoveryReport } from './recovery';
export type { ExpiredResult } from './retention';
export type { RestoreResult } from './restore';
export type { TierKeys } from './tier-keys';
export { TierMoveError, type TierErrorCode } from './verify';
export { ColdStore } from './cold-store';
export { BackgroundRecovery } from './background-recovery';
export { WarmStore } from './warm-store';
export { LocalObjectStore, S3ObjectStore, type ObjectStore } from './object-store';

/** Cold storage: S3 when a bucket is configured, otherwise a local directory. */
export function openObjectStore(cfg: { s3?: S3StoreOptions; localDir: string }): ObjectStore {
  return cfg.s3
    ? new S3ObjectStore(s3Client(cfg.s3), cfg.s3.bucket)
    : new LocalObjectStore(cfg.localDir);
}

/**
 * The aging side of a shard writer: warm files attached to the HotStore's DuckDB
 * instance, cold objects, and the verified moves between them. Call `recover()` once at
 * start, before consuming.
 */
export class TierMover {
  /** shards whose key index holds their warm and cold keys (checked once per process) */
  private readonly keysFilled = new Set<number>();

  private constructor(readonly tiers: Tiers) {}

  static async open(
    hot: HotStore,
    opts: { warmDir: string; objects: ObjectStore; coldReads?: ColdReadLimits } & TierOptions,
  ): Promise<TierMover> {
    const warm = await WarmStore.open(hot, opts.warmDir);
    const options: TierOptions = opts.onPoint ? { onPoint: opts.onPoint } : {};
    const cold = new ColdStore(opts.objects, undefined, opts.coldReads);
    return new TierMover(new Tiers(hot, warm, cold, options));
  }

  get warm(): WarmStore {
    return this.tiers.warm;
  }

  get cold(): ColdStore {
    return this.tiers.cold;
  }

  async recover() {
    const report = await recover(this.tiers);
    for (const shard of this.tiers.warm.shards) await this.fillKeys(shard);
    return report;
  }

  /**
   * Every move first finishes or rolls back what an earlier failed move of the shard left,
   * and makes sure the shard's key index knows its warm and cold records.
   */
  async moveHotToWarm(shard: number, olderThan: Date) {
    await recoverShard(this.tiers, shard);
    await this.fillKeys(shard);
    return moveHotToWarm(this.tiers, shard, olderThan);
  }

  async moveWarmToCold(shard: number, olderThan: Date) {
    await recoverShard(this.tiers, shard);
    await this.fillKeys(shard);
    return moveWarmToCold(this.tiers, shard, olderThan);
  }

  private async fillKeys(shard: number): Promise<void> {
    if (this.keysFilled.has(shard)) return;
    await this.tiers.moveLock.run(shard, () => fillKeyIndex(this.tiers, shard));
    this.keysFilled.add(shard);
  }

  /** recover() for one shard: a writer retries it in the background while S3 is away. */
  async recoverShard(shard: number) {
    const report = await recoverShard(this.tiers, shard);
    await this.fillKeys(shard);
    return report;
  }

  deleteExpired(retentionDays: number, now?: Date) {
    return deleteExpired(this.tiers, retentionDays, now);
  }

  async restore(systemId: string, since?: Date) {
    await recoverShard(this.tiers, shardOf(systemId));
    await this.fillKeys(shardOf(systemId));
    return restoreToHot(this.tiers, systemId, since);
  }

  /** Every key each tier holds, per shard (reads the shards' cold objects). */
  keysByTier(shards: number[]) {
    return keysByTier(this.tiers, shards);
  }

  /** Closes the warm files (before HotStore.close()). */
  close(): Promise<void> {
    return this.tiers.warm.close();
  }
}
