import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import { shardDbName } from '../../storage/hot-schema';
import { writeShardTransaction } from '../../storage/shard-transaction';
import type { ChunkInput } from '../../storage/write-plan';
import { chunkOf as chunk, crash, inside } from './store-inside';

const A = 'bulk-host-a';
const B = 'bulk-host-b-1';

describe('a bulk load that defers the vector index', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-deferred-index-'));
    expect(shardOf(A)).not.toBe(shardOf(B));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => HotStore.open(dir, { concurrency: 2, model: HASHING_MODEL });
  const found = async (store: HotStore, input: ChunkInput, i = 0) => {
    const system = input.message.system_id;
    const hits = await store.searchIndex(input.vectors[i]!, { limit: 3, systemId: system });
    return hits.some((h) => h.id === input.message.records[i]!.id);
  };

  it('skips the index while it writes, and leaves it equal to the rows at its end', async () => {
    const store = await open();
    const live = chunk(B, 'u0', ['b1']);
    await store.writeShard(shardOf(B), [live]);
    const bulk = store.deferIndex();
    bulk.defer(shardOf(A));
    const first = chunk(A, 'u1', ['a1', 'a2']);
    const second = chunk(A, 'u2', ['a3']);
    await store.writeShard(shardOf(A), [first]);
    await store.writeShard(shardOf(A), [second]);
    const other = chunk(B, 'u3', ['b2']); // a shard the load does not hold is indexed as written
    await store.writeShard(shardOf(B), [other]);
    expect(await found(store, first)).toBe(false);
    expect(await found(store, other)).toBe(true);
    expect(await store.indexCount()).toBe(2);

    const fromRows = jest.spyOn(store, 'resyncIndex');
    const result = await bulk.finish();
    expect(result).toMatchObject({ shards: 1, added: 3, removed: 0, stale: [] });
    expect(fromRows).not.toHaveBeenCalled(); // the kept writes were added, not read back
    expect(await found(store, first, 1)).toBe(true);
    expect(await found(store, second)).toBe(true);
    expect(await store.indexCount()).toBe(5);
    expect(store.staleIndexShards).toEqual([]);

    // written after the load: indexed as written again
    const after = chunk(A, 'u4', ['a4']);
    await store.writeShard(shardOf(A), [after]);
    expect(await found(store, after)).toBe(true);
    expect(store.staleIndexShards).toEqual([]);
    await store.close();
  });

  it('re-syncs records a task removed from a deferred shard once, at the end', async () => {
    const store = await open();
    const rows = chunk(A, 'u1', ['a1', 'a2']);
    await store.writeShard(shardOf(A), [rows]);
    const bulk = store.deferIndex();
    bulk.defer(shardOf(A));
    await store.withShard(shardOf(A), (conn, db) =>
      conn.run(`DELETE FROM ${db}.memories WHERE id = 'a1'`),
    );
    expect(await store.indexCount()).toBe(2); // not followed yet
    expect(await bulk.finish()).toMatchObject({ removed: 1 });
    expect(await found(store, rows, 0)).toBe(false);
    expect(await found(store, rows, 1)).toBe(true);
    expect(await store.indexCount()).toBe(1);
    await store.close();
  });

  it('re-syncs from the rows when a commit escaped the kept writes', async () => {
    const store = await open();
    const shard = shardOf(A);
    await store.writeShard(shard, [chunk(A, 'u0', ['a0'])]);
    const bulk = store.deferIndex();
    bulk.defer(shard);
    const kept = chunk(A, 'u1', ['a1']);
    await store.writeShard(shard, [kept]);
    // committed, but the store was not told (as if a process wrote behind its back)
    const unseen = chunk(A, 'u2', ['a2']);
    const parts = inside(store);
    await parts.pool.use((conn) =>
      writeShardTransaction(conn, shardDbName(shard), parts.filters.get(shard)!, [unseen]),
    );
    const later = chunk(A, 'u3', ['a3']);
    await store.writeShard(shard, [later]);
    const fromRows = jest.spyOn(store, 'resyncIndex');
    expect(await bulk.finish()).toMatchObject({ shards: 1, added: 3, removed: 0, stale: [] });
    expect(fromRows).toHaveBeenCalledWith([shard]);
    for (const input of [kept, unseen, later]) expect(await found(store, input)).toBe(true);
    expect(await store.indexCount()).toBe(4);
    await store.close();
  });

  it('waits for the last of two loads holding a shard', async () => {
    const store = await open();
    const one = store.deferIndex();
    const two = store.deferIndex();
    one.defer(shardOf(A));
    two.defer(shardOf(A));
    const rows = chunk(A, 'u1', ['a1']);
    await store.writeShard(shardOf(A), [rows]);
    expect(await one.finish()).toMatchObject({ shards: 0, added: 0 });
    expect(await found(store, rows)).toBe(false);
    expect(await two.finish()).toMatchObject({ shards: 1, added: 1 });
    expect(await found(store, rows)).toBe(true);
    await store.close();
  });

  it('leaves the shards of an abandoned load stale, and the repair makes them whole', async () => {
    const store = await open();
    const bulk = store.deferIndex();
    bulk.defer(shardOf(A));
    const rows = chunk(A, 'u1', ['a1', 'a2']);
    await store.writeShard(shardOf(A), [rows]);
    bulk.abandon();
    expect(store.staleIndexShards).toEqual([shardOf(A)]);
    expect(await found(store, rows)).toBe(false);
    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
    expect(await found(store, rows)).toBe(true);
    expect(await found(store, rows, 1)).toBe(true);
    await store.close();
  });

  it('re-syncs, at the next open, the shards of a load the process died in', async () => {
    let store = await open();
    const before = chunk(A, 'u0', ['a0']);
    const untouched = chunk(B, 'u0', ['b0']);
    await store.writeShard(shardOf(A), [before]);
    await store.writeShard(shardOf(B), [untouched]);
    const bulk = store.deferIndex();
    bulk.defer(shardOf(A));
    const during = chunk(A, 'u1', ['a1', 'a2']);
    await store.writeShard(shardOf(A), [during]);
    await inside(store).index.save(); // the periodic save, mid-load
    crash(store);

    store = await open();
    expect(store.indexOpened.rebuilt).toBe(false);
    expect(store.indexOpened.reason).toBe('re-synced 1 shards changed since the index was saved');
    expect(await found(store, during)).toBe(true);
    expect(await found(store, during, 1)).toBe(true);
    expect(await found(store, before)).toBe(true);
    expect(await found(store, untouched)).toBe(true);
    expect(await store.indexCount()).toBe(4);
    await store.close();
  });
});
