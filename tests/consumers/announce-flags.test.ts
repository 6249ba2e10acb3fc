import { AnnounceFlags } from '../../consumers/announce-flags';
import { createLogger } from '../../infra/logger';
import type { UploadRef } from '../../storage/announcements';
import { waitFor } from '../helpers/wait-for';

const log = createLogger('silent');
const ref = (uploadId: string): UploadRef => ({ systemId: 'sys', uploadId });

function store(fail = false) {
  const calls: { shard: number; uploads: string[] }[] = [];
  return {
    calls,
    async markAnnounced(shard: number, uploads: UploadRef[]) {
      if (fail) throw new Error('disk full');
      calls.push({ shard, uploads: uploads.map((u) => u.uploadId) });
    },
  };
}

describe('announce flags written together', () => {
  it('writes each shard’s flags in one call, only when flushed', async () => {
    const sink = store();
    const flags = new AnnounceFlags(sink, log);
    flags.add(3, [ref('a')]);
    flags.add(7, [ref('b')]);
    flags.add(3, [ref('c'), ref('d')]);
    flags.add(9, []);
    expect(sink.calls).toEqual([]);
    await flags.flush();
    expect(sink.calls).toEqual([
      { shard: 3, uploads: ['a', 'c', 'd'] },
      { shard: 7, uploads: ['b'] },
    ]);
    await flags.flush();
    expect(sink.calls).toHaveLength(2);
  });

  it('close writes what is left; a failure is left to the outbox sweep, not thrown', async () => {
    const sink = store();
    const flags = new AnnounceFlags(sink, log);
    flags.start();
    flags.add(1, [ref('x')]);
    await flags.close();
    expect(sink.calls).toEqual([{ shard: 1, uploads: ['x'] }]);
    const failing = new AnnounceFlags(store(true), log);
    failing.add(1, [ref('y')]);
    await expect(failing.close()).resolves.toBeUndefined();
  });

  it('writes nothing while the writer lease does not hold', async () => {
    const sink = store();
    let holds = false;
    const flags = new AnnounceFlags(sink, log, () => holds);
    flags.add(2, [ref('z')]);
    await flags.flush();
    holds = true;
    await flags.flush();
    expect(sink.calls).toEqual([]);
  });

  it('flushes on its own every interval', async () => {
    const sink = store();
    const flags = new AnnounceFlags(sink, log, () => true, 50);
    flags.start();
    flags.add(4, [ref('t')]);
    await waitFor(() => sink.calls.length, { until: (n) => n > 0, what: 'a timed flush' });
    await flags.close();
    expect(sink.calls).toEqual([{ shard: 4, uploads: ['t'] }]);
  });
});
