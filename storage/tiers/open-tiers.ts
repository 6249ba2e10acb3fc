import type { AgingConfig } from '../../infra';
import type { HotStore } from '../hot-store';
import { openObjectStore, TierMover } from './index';

/** The warm and cold tiers of `hot`, as configured: cold on S3 when a bucket is set, else local. */
export function openTiers(hot: HotStore, aging: AgingConfig): Promise<TierMover> {
  const { warmDir, coldDir, s3, coldReads } = aging;
  return TierMover.open(hot, {
    warmDir,
    coldReads,
    objects: openObjectStore({ localDir: coldDir, ...(s3 && { s3 }) }),
  });
}
