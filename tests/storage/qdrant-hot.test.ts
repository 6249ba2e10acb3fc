import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { decodeVector, encodeVector } from '../../embedding/vector';
import { rebuildVectors, verifyVectors } from '../../operations/vector-store';
import { shardOf } from '../../schemas/ids';
import { HotStore } from '../../storage/hot-store';
import type { VectorStoreOptions } from '../../infra/option-types';
import { QdrantHotSearch } from '../../storage/qdrant-hot-search';
import { RecordingQdrant } from '../helpers/qdrant/server';
import { rng } from '../helpers/random';
import { chunkInput, embeddedRecord } from './chunk-inputs';
import { vector } from './tiers/fixtures';

const SYSTEM = 'qdrant-hot-host';
const SHARD = shardOf(SYSTEM);
const COLLECTION = 'hot_store_test';
const rand = rng(5);

/** A long text: its own vector plus two passages with theirs. */
function longRecord(id: string) {
  const content = `${'a long memory about vector stores. '.repeat(40)}end`;
  return {
    ...embeddedRecord(id, content, '2026-11-21T08:30:00+01:00'),
    passages: [
      { start: 0, end: 700, vector: encodeVector(Float32Array.from(vector(rand))) },
      { start: 650, end: content.length, vector: encodeVector(Float32Array.from(vector(rand))) },
    ],
  };
}

describe('hot store with its vectors in a Qdrant collection', () => {
  let qdrant: RecordingQdrant;
  let dir: string;
  let store: HotStore;
  let vectorStore: Extract<VectorStoreOptions, { kind: 'qdrant' }>;
  const open = () => HotStore.open(dir, { concurrency: 2, model: HASHING_MODEL, vectorStore });
  const points = () => qdrant.payloads(COLLECTION);
  const pointIds = () =>
    points()
      .map((p) => String(p.id))
      .sort();
  const first = chunkInput(SYSTEM, 'u1', [
    embeddedRecord('short', 'a short memory about nats', '2026-11-20T10:00:00Z'),
    longRecord('long'),
  ]);

  beforeAll(async () => {
    qdrant = await RecordingQdrant.start();
    vectorStore = {
      kind: 'qdrant',
      qdrant: { url: qdrant.url, collection: COLLECTION, timeoutMs: 5000, hnswEf: 64 },
    };
    dir = mkdtempSync(join(tmpdir(), 'akosha-qdrant-hot-'));
    store = await open();
  });
  afterAll(async () => {
    await store.close();
    await qdrant.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(qdrant.problems).toEqual([]));

  it('writes each stored record and passage as a point with what a result shows', async () => {
    await store.writeShard(SHARD, [first]);
    expect(pointIds()).toEqual(['long', 'long#0', 'long#1', 'short']);
    const long = points().find((p) => p.id === 'long')!;
    expect(long).toMatchObject({
      system_id: SYSTEM,
      kind: 'conversation',
      project: 'akosha',
      timestamp: '2026-11-21T07:30:00.000Z',
      timestamp_ms: Date.parse('2026-11-21T07:30:00Z'),
      shard: SHARD,
      tier: 'hot',
      tags: [],
      metadata_json: JSON.stringify({ id: 'long' }),
      upload_id: 'u1',
    });
    expect(long.content).toMatch(/^a long memory/);
    const passage = points().find((p) => p.id === 'long#1')!;
    expect(passage).toMatchObject({ passage: 1, passage_start: 650, shard: SHARD });
    expect(passage.content).toBeUndefined();
    // a redelivery stores nothing, so nothing is written again
    const upserts = qdrant.calls('upsert_points').length;
    expect((await store.writeShard(SHARD, [first])).chunks[0]!.redelivered).toBe(true);
    expect(qdrant.calls('upsert_points')).toHaveLength(upserts);
  });

  it('answers hot searches from the payloads alone, passages with their span', async () => {
    const search = QdrantHotSearch.create(vectorStore.qdrant);
    const hits = async (query: Float32Array, threshold?: number) => {
      const [part] = await search.parts(query, { limit: 2, systemId: SYSTEM }, threshold);
      expect(part!.shard).toBe(SHARD);
      return part!.run();
    };
    const [short] = await hits(first.vectors[0]!);
    expect(short).toMatchObject({
      system_id: SYSTEM,
      id: 'short',
      content: 'a short memory about nats',
      timestamp: '2026-11-20T10:00:00.000Z',
      metadata: { id: 'short' },
      upload_id: 'u1',
      shard: SHARD,
      tier: 'hot',
    });
    expect(short!.similarity).toBeCloseTo(1, 5);
    // the passage is the best point of `long`: its text comes from the record's own point
    const passageVector = decodeVector(first.message.records[1]!.passages![1]!.vector, 384);
    const reads = qdrant.calls('get_points').length;
    // at this threshold only the passage itself is found, not its record's own point
    const [viaPassage, none] = await hits(passageVector, 0.99);
    expect(none).toBeUndefined();
    expect(viaPassage).toMatchObject({ id: 'long', passage: { index: 1, start: 650 } });
    expect(viaPassage!.content).toMatch(/^a long memory/);
    // so the record's text was read by id
    expect(qdrant.calls('get_points').length).toBe(reads + 1);
    await search.close();
  });

  it('keeps storing while Qdrant is down, and the upkeep re-syncs the shard afterwards', async () => {
    qdrant.outage = { status: 503 };
    const second = chunkInput(SYSTEM, 'u2', [
      embeddedRecord('during-outage', 'written while qdrant was down', '2026-11-22T10:00:00Z'),
    ]);
    const written = await store.writeShard(SHARD, [second]);
    expect(written.chunks[0]!.stored).toEqual(['during-outage']);
    expect(store.staleIndexShards).toEqual([SHARD]);
    // a stale shard's writes wait for the repair instead of asking the server again
    const asked = qdrant.requests.length;
    const third = chunkInput(SYSTEM, 'u3', [
      embeddedRecord('also-during', 'also written while qdrant was down', '2026-11-22T11:00:00Z'),
    ]);
    await store.writeShard(SHARD, [third]);
    expect(qdrant.requests.length).toBe(asked);
    await store.repairStaleIndexes(); // still down: stays due
    expect(store.staleIndexShards).toEqual([SHARD]);
    qdrant.outage = undefined;
    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
    expect(pointIds()).toEqual([
      'also-during',
      'during-outage',
      'long',
      'long#0',
      'long#1',
      'short',
    ]);
  });

  it('follows rows deleted under the shard lock (tier moves, retention): their points go', async () => {
    await store.withShard(SHARD, async (conn, db) => {
      await conn.run(`DELETE FROM ${db}.memories WHERE id IN ('long', 'also-during')`);
    });
    expect(pointIds()).toEqual(['during-outage', 'short']);
    expect(qdrant.calls('delete_points').at(-1)!.body).toMatchObject({ points: expect.any(Array) });
  });

  it('finds at open the shards whose points a crash left behind, and repairs them', async () => {
    await store.close();
    qdrant.collections.get(COLLECTION)!.points.clear(); // upserts lost
    store = await open();
    expect(store.staleIndexShards).toEqual([SHARD]);
    await store.repairStaleIndexes();
    expect(pointIds()).toEqual(['during-outage', 'short']);
    await store.close();
    qdrant.outage = { status: 503 };
    store = await open(); // Qdrant down at start: the writer opens, every shard is due
    expect(store.staleIndexShards).toEqual([SHARD]);
    qdrant.outage = undefined;
    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
  });

  it('verify reports missing and extra points per shard; a resync fixes them', async () => {
    const c = qdrant.collections.get(COLLECTION)!;
    const [shortId] = [...c.points].find(([, p]) => p.payload.id === 'short')!;
    c.points.delete(shortId);
    const stray = { ...[...c.points.values()][0]!, id: '00000000-0000-8000-8000-000000000000' };
    c.points.set(stray.id, { ...stray, payload: { ...stray.payload, id: 'stray' } });
    const report = await verifyVectors(store, vectorStore.qdrant, [SHARD]);
    expect(report).toMatchObject({
      ok: false,
      drift: [SHARD],
      shards: [
        {
          shard: SHARD,
          rows: 2,
          points: 2,
          missing: [`${SYSTEM}/short`],
          extra: [`${SYSTEM}/stray`],
          ok: false,
        },
      ],
    });
    expect(await store.resyncIndex([SHARD])).toEqual({ added: 1, removed: 1 });
    expect((await verifyVectors(store, vectorStore.qdrant, [SHARD])).ok).toBe(true);
  });

  it('rebuild writes every point again (new vectors after a re-embed)', async () => {
    const before = qdrant.calls('upsert_points').length;
    expect(await rebuildVectors(store, vectorStore.qdrant)).toEqual({
      shards: 1,
      written: 2,
      removed: 0,
    });
    expect(qdrant.calls('upsert_points').length).toBe(before + 1);
  });
});
