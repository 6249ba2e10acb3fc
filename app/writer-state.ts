import type { AkoshaConfig, Logger, Metrics, NatsHandle } from '../infra';
import { BackgroundRecovery, HotStore, openTiers, type TierMover } from '../storage';
import { WriterLease } from './writer-lease';

export interface WriterState {
  lease: WriterLease;
  store: HotStore;
  mover: TierMover;
  recovery: BackgroundRecovery;
}

/** A writer first claims its shard groups, then opens their DuckDB files. */
export async function openWriterState(
  nats: NatsHandle,
  config: AkoshaConfig,
  model: string,
  log: Logger,
  metrics: Metrics,
): Promise<WriterState> {
  const lease = await WriterLease.claim({
    servers: nats.local?.url ?? config.nats.url,
    // a server Akosha started itself has neither users nor TLS
    ...(!nats.local && { access: config.nats }),
    groups: config.writer.groups,
    hotDir: config.writer.hotDir,
    ...config.writer.lease,
    log,
  });
  let store: HotStore | undefined;
  try {
    store = await HotStore.open(config.writer.hotDir, { ...config.writer, model });
    const { rebuilt, reason } = store.indexOpened;
    if (rebuilt) log.info({ reason, points: await store.indexCount() }, 'vector index rebuilt');
    const stale = store.staleIndexShards; // a shared store (Qdrant) that missed writes, or is away
    if (stale.length > 0)
      log.warn({ reason, shards: stale }, 'hot vectors to re-sync by the upkeep');
    else if (!rebuilt && reason) log.info({ reason }, 'vector index caught up with the shards');
    const mover = await openTiers(store, config.aging);
    // moves a crash interrupted are finished or rolled back beside ingest: S3 may be away
    const recovery = new BackgroundRecovery({
      shards: mover.warm.shards,
      recoverShard: (shard) => mover.recoverShard(shard),
      backoffMs: config.aging.recoveryBackoffMs,
      log,
      onPending: (pending) => metrics.tierRecoveryPending.set(pending.length),
    });
    const owned = store;
    metrics.measureStoreSizes(() => ({ hot: owned.diskBytes(), warm: mover.warm.diskBytes() }));
    return { lease, store, mover, recovery };
  } catch (err) {
    await store?.close();
    await lease.release();
    throw err;
  }
}
