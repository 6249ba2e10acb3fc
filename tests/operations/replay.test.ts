import { existsSync, rmSync } from 'node:fs';
import type { Pipeline } from '../../app/pipeline';
import { HASHING_MODEL, HashingEmbedder } from '../../embedding/hashing-embedder';
import type { AkoshaConfig } from '../../infra/config';
import { replayUploads, type ReplayOptions } from '../../operations/replay';
import { summariseKeys, verifyShards } from '../../operations/verify';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { shardDbName } from '../../storage/hot-schema';
import { HotStore } from '../../storage/hot-store';
import { hotShardCount } from '../../storage/vector-index/hot-source';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { streamMessageCount } from '../helpers/streams';
import { record, unitVector, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEMS = ['replay-a', 'replay-b', 'replay-c', 'replay-d', 'replay-e', 'replay-f'];
const TARGET = 'replay-a';
const SHARD = shardOf(TARGET);
/** small messages, so that one upload part becomes several embedded chunks, and one upload several parts */
const MAX_MESSAGE_BYTES = 256 * 1024;

const text = (s: string, u: number, k: number) =>
  `${s} upload ${u} memory ${k} on topic ${u * 13 + k}`;

/** First wave: fresh records (some bad), and for the target system two large uploads. */
function firstWave(system: string): { id: string; records: unknown[] }[] {
  const out = Array.from({ length: 12 }, (_, u) => {
    const records: unknown[] = [0, 1, 2, 3].map((k) =>
      record(`r-${u}-${k}`, text(system, u, k), k === 3 ? { embedding: unitVector(u) } : {}),
    );
    if (u % 5 === 3) records.push(record(`r-${u}-bad`, 'bad vector', { embedding: [1, 2] }));
    return { id: `${system}-u${u}`, records };
  });
  if (system === TARGET) {
    const big = (n: number, tag: string) =>
      Array.from({ length: n }, (_, k) =>
        record(`${tag}-${k}`, `${tag} ${k} ${text(system, k, k)}`),
      );
    out.push({ id: `${system}-chunked`, records: big(300, 'chunked') });
    out.push({ id: `${system}-parts`, records: big(2500, 'parts') });
  }
  return out;
}

/**
 * Second wave, published once the first is stored: duplicates of first-wave records by
 * key and by content. (Within one wave the embed workers may hand chunks to the writer
 * out of stream order, which decides which of two same-content records is kept.)
 */
function secondWave(system: string): { id: string; records: unknown[] }[] {
  return Array.from({ length: 6 }, (_, u) => ({
    id: `${system}-dups-${u}`,
    records: [
      record(`r-${u}-0`, `same key as an earlier record ${u}`),
      record(`r-${u}-copy`, text(system, u, 1)),
      record(`r-dups-${u}`, `fresh record of wave two ${system} ${u}`),
    ],
  }));
}

describe('replay rebuilds a shard from AKOSHA_UPLOADS', () => {
  let nats: TestNats;
  let config: AkoshaConfig;
  let pipeline: Pipeline;

  beforeAll(async () => {
    nats = await startTestNats();
    config = testConfig(nats.url, { AKOSHA_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
    pipeline = await startTestPipeline(config, ['ingest', 'writer']);
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const chunkCount = async (store: HotStore) => {
    const conn = await store.connect();
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM ${shardDbName(SHARD)}.upload_chunks`,
    );
    conn.closeSync();
    return Number(reader.getRowObjectsJS()[0]?.n);
  };

  /**
   * What the index lacks: it must hold a point for every record and passage of every shard,
   * each record of the target shard among them (by key), and answer a search by one of them.
   */
  const indexMisses = async (store: HotStore) => {
    const conn = await store.connect();
    let points = 0;
    for (const shard of store.shards) points += await hotShardCount(conn, shard);
    const reader = await conn.runAndReadAll(
      `SELECT system_id, id, embedding FROM ${shardDbName(SHARD)}.memories`,
    );
    conn.closeSync();
    const rows = reader.getRowObjectsJS();
    const missed: string[] = [];
    const count = await store.indexCount();
    if (count !== points) missed.push(`${count} points, not ${points}`);
    const keys = rows.map((r) => ({ system_id: String(r.system_id), id: String(r.id) }));
    const held = new Set(
      (
        await store.hitRows(
          SHARD,
          keys.map((k) => ({ ...k, similarity: 1 })),
        )
      ).map((h) => h.id),
    );
    missed.push(...keys.filter((k) => !held.has(k.id)).map((k) => k.id));
    const query = Float32Array.from(rows[0]!.embedding as number[]);
    const hits = await store.searchIndex(query, { limit: 10, systemId: TARGET });
    const want = Math.min(10, rows.filter((r) => r.system_id === TARGET).length);
    if (hits.length !== want) missed.push(`a search found ${hits.length} of ${want}`);
    return missed;
  };

  const replay = (store: HotStore, workerThread = false, more: Partial<ReplayOptions> = {}) =>
    replayUploads({
      nc: nats.nc,
      store,
      embedder: new HashingEmbedder(),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      chunkMaxBytes: MAX_MESSAGE_BYTES,
      shard: SHARD,
      batchBytes: 64 * 1024,
      workerThread,
      ...more,
    });

  it('gives the same keys, passes verify, publishes nothing, and a second replay changes nothing', async () => {
    const publishAll = async (wave: { system: string; id: string; records: unknown[] }[]) => {
      for (const u of wave) {
        const message = upload(u.system, u.id, u.records);
        if (u.records.length > 100) {
          // the producer splits it into parts below the limit
          await publishUpload(nats.js, message, { maxPayloadBytes: 200 * 1024 });
          continue;
        }
        const subject = subjects.upload(shardOf(u.system), u.system);
        await nats.js.publish(subject, JSON.stringify(message), { msgID: u.id });
      }
    };
    const first = SYSTEMS.flatMap((s) => firstWave(s).map((u) => ({ system: s, ...u })));
    const second = SYSTEMS.flatMap((s) => secondWave(s).map((u) => ({ system: s, ...u })));
    const all = [...first, ...second];
    await publishAll(first);
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === first.length,
      what: 'first wave announced',
    });
    await publishAll(second);
    await nats.js.publish(subjects.upload(SHARD, TARGET), '{"not": "an upload"'); // skipped
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === all.length,
      what: 'every upload announced',
    });
    await pipeline.close();
    const events = await streamMessageCount(nats.nc, STREAM.ingested);

    let store = await HotStore.open(config.writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    const before = await store.keys(SHARD);
    const otherShards = await Promise.all(
      store.shards.filter((s) => s !== SHARD).map(async (s) => [s, await store.keys(s)]),
    );
    const file = store.shardFile(SHARD);
    expect(before.length).toBeGreaterThan(2800);
    // over the live path's own shard: the same chunking, so every chunk is recognised
    const liveChunks = await chunkCount(store);
    expect(liveChunks).toBeGreaterThan(SYSTEMS.length); // the large uploads span several chunks
    const overLive = await replay(store);
    expect(overLive.records.stored).toBe(0);
    expect(await chunkCount(store)).toBe(liveChunks);
    await store.close();
    rmSync(file);
    rmSync(`${file}.wal`, { force: true });

    store = await HotStore.open(config.writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    const once = await replay(store, true); // prepared in a worker thread
    expect(once.skipped).toBe(1);
    expect(once.records.stored).toBe(before.length);
    expect(once.records.rejected).toBeGreaterThan(0);
    expect(once.records.duplicate).toBe(12); // wave two: six by key, six by content
    // the index was deferred while writing and re-synced once at the end
    expect(once.index).toMatchObject({ shards: 1, stale: [] });
    expect(once.index!.added).toBeGreaterThanOrEqual(before.length);
    expect(store.staleIndexShards).toEqual([]);
    expect(await indexMisses(store)).toEqual([]);
    const rebuilt = await store.keys(SHARD);
    expect(rebuilt).toEqual(before);
    expect(summariseKeys(rebuilt)).toEqual(summariseKeys(before));
    const report = await verifyShards({
      nc: nats.nc,
      store,
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
    expect(report.shards.filter((s) => !s.ok)).toEqual([]);
    expect(report.shards.find((s) => s.shard === SHARD)?.stream.count).toBe(before.length);

    const again = await replay(store);
    expect(again.records).toEqual({
      stored: 0,
      duplicate: once.records.stored + once.records.duplicate,
      rejected: once.records.rejected,
    });
    expect(await store.keys(SHARD)).toEqual(before);
    for (const [shard, keys] of otherShards)
      expect(await store.keys(shard as number)).toEqual(keys);
    await store.close();
    expect(existsSync(file)).toBe(true);
    expect(await streamMessageCount(nats.nc, STREAM.ingested)).toBe(events);
  });

  it('leaves the shard stale when a replay stops midway, and the repair indexes what it wrote', async () => {
    let store = await HotStore.open(config.writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    const file = store.shardFile(SHARD);
    await store.close();
    rmSync(file, { force: true });
    rmSync(`${file}.wal`, { force: true });
    store = await HotStore.open(config.writer.hotDir, { concurrency: 2, model: HASHING_MODEL });
    const stopped = () => {
      throw new Error('stopped after its first batch');
    };
    await expect(replay(store, false, { onProgress: stopped })).rejects.toThrow(/stopped/);
    const written = await store.count(SHARD);
    expect(written).toBeGreaterThan(0);
    expect(store.staleIndexShards).toEqual([SHARD]);
    await store.repairStaleIndexes();
    expect(store.staleIndexShards).toEqual([]);
    expect(await indexMisses(store)).toEqual([]);
    await store.close();
  });

  it('reports drift with example keys when the shard lacks records', async () => {
    const store = await HotStore.open(config.writer.hotDir, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    const file = store.shardFile(SHARD);
    await store.close();
    rmSync(file);
    rmSync(`${file}.wal`, { force: true });
    const empty = await HotStore.open(config.writer.hotDir, {
      concurrency: 1,
      model: HASHING_MODEL,
    });
    await empty.attach(SHARD);
    const report = await verifyShards({
      nc: nats.nc,
      store: empty,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      shard: SHARD,
    });
    await empty.close();
    expect(report.drift).toEqual([SHARD]);
    expect(report.shards[0]!.store.count).toBe(0);
    expect(report.shards[0]!.missing).toHaveLength(5);
  });
});
