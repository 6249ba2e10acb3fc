import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { shardOf } from '../../schemas/ids';
import { HotStore, type ShardSink } from '../../storage';
import { chunkInput, embeddedRecord, splitUpload } from './chunk-inputs';
import { MemoryShardSink } from '../fakes/memory-shard-sink';

const SYSTEM = 'sink-host';
const SHARD = shardOf(SYSTEM);
const at = '2026-11-20T10:00:00Z';
const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => embeddedRecord(`${prefix}-${i}`, `${prefix} text ${i}`, at));

/** The fake must answer as the real sink does: the same scenarios run against both. */
describe.each([
  ['HotStore (DuckDB)', 'real'],
  ['MemoryShardSink', 'fake'],
] as const)('ShardSink conformance: %s', (_name, kind) => {
  let dir: string;
  let sink: ShardSink & { close?: () => Promise<void> };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-sink-'));
    sink =
      kind === 'real'
        ? await HotStore.open(dir, { concurrency: 1, model: HASHING_MODEL, index: false })
        : new MemoryShardSink(HASHING_MODEL);
  });
  afterAll(async () => {
    await sink.close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a whole upload once: a redelivery is reported, not rewritten', async () => {
    const input = chunkInput(SYSTEM, 'u-once', records('once', 3));
    const first = await sink.writeShard(SHARD, [input]);
    expect(first.chunks.map((c) => [c.stored.length, c.redelivered])).toEqual([[3, false]]);
    expect(first.completed.map((u) => [u.uploadId, u.completedNow])).toEqual([['u-once', true]]);
    expect(first.rows).toHaveLength(3);
    const again = await sink.writeShard(SHARD, [input]);
    expect(again.chunks.map((c) => [c.stored.length, c.redelivered])).toEqual([[3, true]]);
    expect(again.completed.map((u) => [u.uploadId, u.completedNow])).toEqual([['u-once', false]]);
    expect(again.rows).toHaveLength(0);
  });

  it('completes a split upload with its last chunk, whatever the order', async () => {
    const [a, b, c, d] = splitUpload(SYSTEM, 'u-split', records('split', 8), 2, 2);
    expect((await sink.writeShard(SHARD, [d!, a!])).completed).toEqual([]);
    expect((await sink.writeShard(SHARD, [c!])).completed).toEqual([]);
    const last = await sink.writeShard(SHARD, [b!]);
    expect(last.completed.map((u) => [u.uploadId, u.parts, u.stored.length])).toEqual([
      ['u-split', 2, 8],
    ]);
  });

  it('tells duplicates by key and by content, also within one batch', async () => {
    const [first] = records('dup', 1);
    const sameContent = { ...first!, id: 'dup-other-id' };
    const input = chunkInput(SYSTEM, 'u-dup-1', [first!]);
    const twice = chunkInput(SYSTEM, 'u-dup-2', [first!, sameContent]);
    const result = await sink.writeShard(SHARD, [input, twice]);
    expect(result.chunks.map((c) => [c.stored, c.duplicate])).toEqual([
      [['dup-0'], []],
      [[], ['dup-0', 'dup-other-id']],
    ]);
  });

  it("returns another model's chunks untouched", async () => {
    const other = chunkInput(SYSTEM, 'u-other', records('other', 1));
    other.message.embedder = { ...other.message.embedder, model: 'another-model' };
    const result = await sink.writeShard(SHARD, [other]);
    expect(result.otherModel).toEqual([other]);
    expect(result.chunks).toEqual([]);
  });

  it('commits nothing when the fence fails before COMMIT', async () => {
    const input = chunkInput(SYSTEM, 'u-fenced', records('fenced', 2));
    await expect(sink.writeShard(SHARD, [input], () => false)).rejects.toThrow(/lease lost/);
    const result = await sink.writeShard(SHARD, [input], () => true);
    expect(result.chunks.map((c) => [c.stored.length, c.redelivered])).toEqual([[2, false]]);
  });

  it('keeps completions in the outbox until they are flagged announced', async () => {
    const later = new Date(Date.now() + 60_000);
    const pending = await sink.unannouncedUploads(SHARD, later);
    expect(pending.map((u) => u.uploadId).sort()).toEqual(
      ['u-dup-1', 'u-dup-2', 'u-fenced', 'u-once', 'u-split'].sort(),
    );
    expect(pending.every((u) => u.uploadSeq === 1)).toBe(true);
    await sink.markAnnounced(SHARD, pending.slice(0, 2));
    expect(await sink.unannouncedUploads(SHARD, later)).toHaveLength(pending.length - 2);
    expect(await sink.unannouncedUploads(SHARD, new Date(0))).toEqual([]);
    expect(sink.shards).toEqual([SHARD]);
  });
});
