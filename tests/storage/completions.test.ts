import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { chunkInput, embeddedRecord } from './chunk-inputs';

const SYSTEM = 'completion-host';
const SHARD = shardOf(SYSTEM);
const at = '2026-11-20T10:00:00Z';

describe('completions and who announces them', () => {
  let dir: string;
  let store: HotStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-completions-'));
    store = await HotStore.open(dir, { concurrency: 1, model: HASHING_MODEL });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const completedNow = async (inputs: ReturnType<typeof chunkInput>[]) =>
    (await store.writeShard(SHARD, inputs)).completed.map((u) => [u.uploadId, u.completedNow]);

  it('says "completed now" only in the transaction that recorded the completion', async () => {
    const whole = chunkInput(SYSTEM, 'one-chunk', [embeddedRecord('a', 'first', at)]);
    expect(await completedNow([whole])).toEqual([['one-chunk', true]]);
    // a redelivery after a crash: the outbox, not the fast path, decides about its event
    expect(await completedNow([whole])).toEqual([['one-chunk', false]]);

    const place = (part: number) => ({ part, partCount: 2, chunk: 0, chunkCount: 1 });
    const part = (i: number) =>
      chunkInput(SYSTEM, 'two-parts', [embeddedRecord(`p${i}`, `part ${i}`, at)], place(i));
    expect(await completedNow([part(0)])).toEqual([]);
    expect(await completedNow([part(1)])).toEqual([['two-parts', true]]);
    expect(await completedNow([part(1)])).toEqual([['two-parts', false]]);
  });
});
