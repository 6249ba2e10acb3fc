import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { decodeVector, encodeVector } from '../../embedding/vector';
import type { EmbeddedMessage, EmbeddedRecord } from '../../schemas/embedded';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import type { ChunkInput } from '../../storage/write-plan';
import { rng } from '../helpers/random';
import { vector } from './tiers/fixtures';

const SYSTEM = 'index-repair-host';
const rand = rng(11);

function chunk(uploadId: string, ids: string[]): ChunkInput {
  const records: EmbeddedRecord[] = ids.map((id) => {
    const content = `memory ${id} of ${SYSTEM}`;
    return {
      id,
      kind: 'conversation',
      content,
      content_sha256: createHash('sha256').update(content).digest('hex'),
      timestamp: '2026-11-20T10:00:00Z',
      project: null,
      tags: [],
      metadata: {},
      vector: encodeVector(Float32Array.from(vector(rand))),
      vector_source: 'embedder',
    };
  });
  const message: EmbeddedMessage = {
    schema_version: 1,
    upload_id: uploadId,
    system_id: SYSTEM,
    shard: shardOf(SYSTEM),
    part: { index: 0, count: 1 },
    chunk: { index: 0, count: 1 },
    upload_seq: 1,
    embedder: { name: 'hashing', model: HASHING_MODEL, dim: 384 },
    records,
    rejected_ids: [],
  };
  return { message, vectors: records.map((r) => decodeVector(r.vector, 384)) };
}

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
