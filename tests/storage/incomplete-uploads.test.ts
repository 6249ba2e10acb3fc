import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { verifyShards } from '../../operations/verify';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { chunkInput, embeddedRecord } from './chunk-inputs';

const SYSTEM = 'incomplete-host';
const SHARD = shardOf(SYSTEM);
const part = (index: number) =>
  chunkInput(
    SYSTEM,
    'half-upload',
    [embeddedRecord(`r${index}`, `part ${index}`, '2026-11-20T10:00:00Z')],
    {
      part: index,
      partCount: 2,
      chunk: 0,
      chunkCount: 1,
    },
  );

describe('uploads whose producer died after part 0', () => {
  let nats: TestNats;
  let dir: string;
  let store: HotStore;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    dir = mkdtempSync(join(tmpdir(), 'akosha-incomplete-'));
    store = await HotStore.open(dir, { concurrency: 1, model: HASHING_MODEL });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await nats.stop();
  });

  it('are counted and listed by verify until the rest arrives', async () => {
    await store.writeShard(SHARD, [part(0)]);
    const later = new Date(Date.now() + 60_000);
    expect(await store.incompleteUploadCount(later)).toBe(1);
    expect(await store.incompleteUploadCount(new Date(Date.now() - 60_000))).toBe(0); // too recent
    const report = await verifyShards({ nc: nats.nc, store, maxMessageBytes: 1 << 20 });
    expect(report.incomplete).toEqual([
      expect.objectContaining({
        shard: SHARD,
        system_id: SYSTEM,
        upload_id: 'half-upload',
        chunks: 1,
      }),
    ]);
    expect(Date.parse(report.incomplete[0]!.first_written_at)).toBeLessThanOrEqual(Date.now());

    const done = await store.writeShard(SHARD, [part(1)]);
    expect(done.completed.map((u) => u.uploadId)).toEqual(['half-upload']);
    expect(await store.incompleteUploadCount(later)).toBe(0);
  });
});
