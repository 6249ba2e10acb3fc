import pino from 'pino';
import { BackgroundRecovery } from '../../../storage/tiers/background-recovery';
import { waitFor } from '../../helpers/wait-for';

const log = pino({ level: 'silent' });

describe('BackgroundRecovery', () => {
  it('retries the shards that fail until each recovers, reporting what is pending', async () => {
    const failuresLeft = new Map([
      [3, 0],
      [7, 2],
      [9, 1],
    ]);
    const reports: number[][] = [];
    const recovery = new BackgroundRecovery({
      shards: [9, 3, 7],
      recoverShard: async (shard) => {
        const left = failuresLeft.get(shard)!;
        failuresLeft.set(shard, left - 1);
        if (left > 0) throw new Error('ECONNREFUSED');
      },
      backoffMs: [5, 10],
      log,
      onPending: (pending) => reports.push(pending),
    });
    expect(recovery.pendingShards()).toEqual([3, 7, 9]);
    await recovery.done;
    expect(recovery.pendingShards()).toEqual([]);
    expect(reports).toEqual([[3, 7, 9], [7, 9], [7], []]);
  });

  it('stops retrying when stopped, with the shard still pending', async () => {
    let attempts = 0;
    const recovery = new BackgroundRecovery({
      shards: [1],
      recoverShard: async () => {
        attempts++;
        throw new Error('S3 down');
      },
      backoffMs: [60_000],
      log,
    });
    await waitFor(() => attempts >= 1, { what: 'first attempt' });
    await recovery.stop(); // does not wait out the 60 s backoff
    expect(recovery.pendingShards()).toEqual([1]);
    expect(attempts).toBe(1);
  });
});
