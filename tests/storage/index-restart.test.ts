import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { markSeq, readCommitMark } from '../../storage/commit-mark';
import { shardDbName } from '../../storage/hot-schema';
import { HotStore } from '../../storage/hot-store';
import { writeShardTransaction } from '../../storage/shard-transaction';
import type { ChunkInput } from '../../storage/write-plan';
import { chunkOf as chunk, crash, inside } from './store-inside';

const A = 'restart-host-a';
const B = 'restart-host-b-0';

describe('restarting a hot store on its saved vector index', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-index-restart-'));
    expect(shardOf(A)).not.toBe(shardOf(B));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => HotStore.open(dir, { concurrency: 2, model: HASHING_MODEL });
  const found = async (store: HotStore, input: ChunkInput, i = 0) => {
    const system = input.message.system_id;
    const hits = await store.searchIndex(input.vectors[i]!, { limit: 1, systemId: system });
    const rows = await store.hitRows(shardOf(system), hits);
    return rows[0]?.id === input.message.records[i]!.id ? rows[0] : undefined;
  };

  it('trusts the saved index when no shard changed since its save', async () => {
    let store = await open();
    const a = chunk(A, 'u1', ['a1', 'a2']);
    await store.writeShard(shardOf(A), [a]);
    await store.close();
    store = await open();
    expect(store.indexOpened).toEqual({ rebuilt: false, reason: undefined });
    expect(await found(store, a, 1)).toMatchObject({ content: `memory a2 of ${A}` });
    await store.close();
  });

  it('re-syncs, at the next open, only the shard written after the last save (a crash)', async () => {
    let store = await open();
    const a = chunk(A, 'u1', ['a1']);
    const b = chunk(B, 'u1', ['b1']);
    await store.writeShard(shardOf(A), [a]);
    await store.writeShard(shardOf(B), [b]);
    await store.close();

    store = await open();
    const later = chunk(A, 'u2', ['a3', 'a4']);
    await store.writeShard(shardOf(A), [later]);
    crash(store);

    store = await open();
    expect(store.indexOpened.rebuilt).toBe(false);
    expect(store.indexOpened.reason).toBe('re-synced 1 shards changed since the index was saved');
    expect(await found(store, later, 1)).toMatchObject({ id: 'a4' });
    expect(await found(store, b)).toMatchObject({ id: 'b1' });
    expect(await store.indexCount()).toBe(4);
    await store.close();
  });

  it('re-syncs a shard whose rows a task changed when the process died before the repair', async () => {
    let store = await open();
    const a = chunk(A, 'u1', ['a1', 'a2']);
    await store.writeShard(shardOf(A), [a]);
    await store.close();

    store = await open();
    const died = store.withShard(shardOf(A), async (conn, db) => {
      await conn.run(`DELETE FROM ${db}.memories WHERE id = 'a1'`);
      throw new Error('killed before the index followed');
    });
    await expect(died).rejects.toThrow(/killed/);
    expect(store.staleIndexShards).toEqual([shardOf(A)]);
    crash(store);

    store = await open();
    expect(store.indexOpened.reason).toMatch(/re-synced 1 shards/);
    expect(await found(store, a, 0)).toBeUndefined();
    expect(await found(store, a, 1)).toMatchObject({ id: 'a2' });
    expect(await store.indexCount()).toBe(1);
    await store.close();
  });

  it('drops the points of a shard file gone while stopped', async () => {
    let store = await open();
    const a = chunk(A, 'u1', ['a1']);
    const b = chunk(B, 'u1', ['b1']);
    await store.writeShard(shardOf(A), [a]);
    await store.writeShard(shardOf(B), [b]);
    const fileB = store.shardFile(shardOf(B));
    await store.close();
    rmSync(fileB);
    rmSync(`${fileB}.wal`, { force: true });

    store = await open();
    expect(store.indexOpened.reason).toMatch(/dropped 1 shards no longer there/);
    expect(await store.indexCount()).toBe(1);
    expect(await found(store, a)).toMatchObject({ id: 'a1' });
    await store.close();
  });

  it('notices a commit the index never saw at the first write after a save, and repairs the shard', async () => {
    const store = await open();
    const shard = shardOf(A);
    await store.writeShard(shard, [chunk(A, 'u1', ['a1'])]);
    await store.saveIndex(); // the next write moves the mark, and so finds it moved already
    // committed, but the index was not told (as if the process failed right after COMMIT)
    const unseen = chunk(A, 'u2', ['a2']);
    const parts = inside(store);
    const filter = parts.filters.get(shard)!;
    await parts.pool.use((conn) =>
      writeShardTransaction(conn, shardDbName(shard), filter, [unseen]),
    );
    expect(await found(store, unseen)).toBeUndefined();

    await store.writeShard(shard, [chunk(A, 'u3', ['a3'])]);
    expect(store.staleIndexShards).toEqual([shard]);
    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
    expect(await found(store, unseen)).toMatchObject({ id: 'a2' });
    await store.close();
  });

  describe('the commit mark between saves', () => {
    const seqOf = (store: HotStore) =>
      inside(store).pool.use((conn) => readCommitMark(conn as never, shardOf(A)).then(markSeq));

    it('is kept by writes until a save records it, and moved by the first write after', async () => {
      const store = await open();
      await store.writeShard(shardOf(A), [chunk(A, 'u1', ['a1'])]);
      await store.writeShard(shardOf(A), [chunk(A, 'u2', ['a2'])]);
      expect(await seqOf(store)).toBe(1);
      await store.saveIndex();
      await store.writeShard(shardOf(A), [chunk(A, 'u3', ['a3'])]);
      await store.writeShard(shardOf(A), [chunk(A, 'u4', ['a4'])]);
      expect(await seqOf(store)).toBe(2);
      await store.close();
    });

    it('never lets a saved file vouch for rows written after it (a crash re-syncs them)', async () => {
      let store = await open();
      await store.writeShard(shardOf(A), [chunk(A, 'u1', ['a1'])]);
      await store.writeShard(shardOf(A), [chunk(A, 'u2', ['a2'])]);
      await store.saveIndex();
      const after = chunk(A, 'u3', ['a3']);
      await store.writeShard(shardOf(A), [after]);
      crash(store);

      store = await open();
      expect(store.indexOpened.reason).toBe('re-synced 1 shards changed since the index was saved');
      expect(await found(store, after)).toMatchObject({ id: 'a3' });
      expect(await store.indexCount()).toBe(3);
      await store.close();
    });

    it('is not vouched for by a save after the graph failed to take a write that kept it', async () => {
      let store = await open();
      await store.writeShard(shardOf(A), [chunk(A, 'u1', ['a1'])]);
      const graph = (inside(store).index as unknown as { index: { upsert: unknown } }).index;
      const upsert = graph.upsert;
      graph.upsert = () => Promise.reject(new Error('graph out of memory')); // one failing add
      const missed = chunk(A, 'u2', ['a2']);
      await store.writeShard(shardOf(A), [missed]);
      graph.upsert = upsert;
      expect(store.staleIndexShards).toEqual([shardOf(A)]);
      await store.saveIndex();
      crash(store);

      store = await open();
      expect(store.indexOpened.reason).toBe('re-synced 1 shards changed since the index was saved');
      expect(await found(store, missed)).toMatchObject({ id: 'a2' });
      await store.close();
    });

    it('is left out of a save made while the shard is being written', async () => {
      let store = await open();
      await store.writeShard(shardOf(A), [chunk(A, 'u1', ['a1'])]);
      await store.writeShard(shardOf(B), [chunk(B, 'u1', ['b1'])]);
      await store.withShard(shardOf(A), () => store.saveIndex(), 'keys-only');
      crash(store);

      store = await open();
      expect(store.indexOpened.reason).toBe('re-synced 1 shards changed since the index was saved');
      expect(await store.indexCount()).toBe(2);
      await store.close();
    });
  });
});
