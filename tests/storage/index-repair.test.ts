import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import type { ChunkInput } from '../../storage/write-plan';
import { chunkInput, embeddedRecord } from './chunk-inputs';

const SYSTEM = 'index-repair-host';
const chunk = (uploadId: string, ids: string[]) =>
  chunkInput(
    SYSTEM,
    uploadId,
    ids.map((id) => embeddedRecord(id, `memory ${id} of ${SYSTEM}`, '2026-11-20T10:00:00Z')),
  );

describe('a vector index that fails after COMMIT', () => {
  let dir: string;
  let store: HotStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-index-repair-'));
    store = await HotStore.open(dir, { concurrency: 2, model: HASHING_MODEL });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const indexed = async (input: ChunkInput) => {
    const hits = await store.searchIndex(input.vectors[0]!, { limit: 1, systemId: SYSTEM });
    return hits[0]?.id;
  };

  it('keeps the write, marks the shard stale, and repairs it so search finds the rows', async () => {
    const shard = shardOf(SYSTEM);
    const index = (store as unknown as { index: { add: (...a: unknown[]) => Promise<void> } })
      .index;
    const add = index.add.bind(index);
    index.add = () => Promise.reject(new Error('index out of memory')); // one failing add
    const first = chunk('u1', ['a', 'b']);
    const written = await store.writeShard(shard, [first]);
    index.add = add;

    expect(written.chunks[0]!.stored).toEqual(['a', 'b']);
    expect(store.staleIndexShards).toEqual([shard]);
    expect(await indexed(first)).toBeUndefined();

    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
    expect(await indexed(first)).toBe('a');

    // a redelivery of the chunk is recognised as written, and nothing goes missing
    const again = await store.writeShard(shard, [first]);
    expect(again.chunks[0]!.redelivered).toBe(true);
    expect(await store.count(shard)).toBe(2);
  });
});
