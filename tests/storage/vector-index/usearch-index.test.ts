import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qdrantPointIdOf, usearchKeyOf } from '../../../storage/vector-index/keys';
import {
  IndexFileError,
  UsearchIndex,
  efForSize,
  keySetFingerprint,
  shardIndexPath,
} from '../../../storage/vector-index/usearch-index';
import { sidecarPath } from '../../../storage/vector-index/usearch-sidecar';
import type { SearchFilter } from '../../../storage/vector-index/types';
import { runVectorIndexConformance } from './conformance';
import {
  MAIN_SYSTEM,
  PROJECTS,
  RARE_SYSTEM,
  dataset,
  inBatches,
  rng,
  unitVector,
} from './fixtures';

// f32 graph (the default is the hot index's, i8)
runVectorIndexConformance('usearch', async () => UsearchIndex.create({ quantization: 'f32' }));

// int8 graph: candidates re-ranked by exact cosine
runVectorIndexConformance('usearch, int8 graph', async () =>
  UsearchIndex.create({ quantization: 'i8', exactThreshold: 0 }),
);

// exactThreshold 0: every filtered search goes through the graph with over-fetching
runVectorIndexConformance('usearch, over-fetch only', async () =>
  UsearchIndex.create({ quantization: 'f32', exactThreshold: 0 }),
);

// the graph on a worker thread of its own (AKOSHA_INDEX_GRAPH_THREAD=on)
runVectorIndexConformance('usearch, graph thread', async () =>
  UsearchIndex.create({ quantization: 'i8', exactThreshold: 0, graphThread: true }),
);

describe('record keys', () => {
  it('derives a stable 64-bit usearch key from sha256(system_id U+001F id)', () => {
    const k = usearchKeyOf({ system_id: 'test-system', id: 'rec-1' });
    expect(k).toBe(usearchKeyOf({ system_id: 'test-system', id: 'rec-1' }));
    expect(typeof k).toBe('bigint');
    expect(k < 2n ** 64n).toBe(true);
    // the separator keeps ("a", "bc") and ("ab", "c") apart
    expect(usearchKeyOf({ system_id: 'a', id: 'bc' })).not.toBe(
      usearchKeyOf({ system_id: 'ab', id: 'c' }),
    );
  });

  it('pins the key derivation (persisted files depend on it)', () => {
    // sha256("system-1" U+001F "r1") = e9a0fbbb304335987392a55d70056c6a…
    expect(usearchKeyOf({ system_id: 'system-1', id: 'r1' })).toBe(0xe9a0fbbb30433598n);
    // first 16 bytes with version 8 and the RFC variant set
    expect(qdrantPointIdOf({ system_id: 'system-1', id: 'r1' })).toBe(
      'e9a0fbbb-3043-8598-b392-a55d70056c6a',
    );
  });
});

describe('ef at query time, auto', () => {
  it('is 32 up to 100,000 points, 80 at 1M, and grows with the graph', () => {
    for (const n of [0, 1, 10_000, 100_000]) expect(efForSize(n)).toBe(32);
    expect(efForSize(1_000_000)).toBe(80);
    const sizes = [100_000, 200_000, 500_000, 1_000_000, 2_000_000, 10_000_000];
    const efs = sizes.map(efForSize);
    efs.slice(1).forEach((ef, i) => expect(ef).toBeGreaterThan(efs[i]!));
  });
});

describe('UsearchIndex persistence', () => {
  const points = dataset(600, 10);
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-vindex-'));
    path = shardIndexPath(dir, 7);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const queries: [Float32Array, SearchFilter | undefined][] = [
    [points[3]!.vector, undefined],
    [unitVector(rng(5)), undefined],
    [unitVector(rng(6)), { system_id: RARE_SYSTEM }],
    [unitVector(rng(8)), { system_id: MAIN_SYSTEM, kind: 'reflection' }],
  ];
  const answers = (index: UsearchIndex) =>
    Promise.all(queries.map(([q, filter]) => index.search(q, { limit: 10, filter })));

  async function saved(): Promise<UsearchIndex> {
    const index = UsearchIndex.create({ path });
    for await (const batch of inBatches(points)) await index.upsert(batch);
    await index.remove([points[50]!.key]);
    await index.save();
    return index;
  }

  it('names files after the shard', () => {
    expect(shardIndexPath('/data/hot', 7)).toBe('/data/hot/shard-007.usearch');
    expect(sidecarPath('/data/hot/shard-007.usearch')).toBe('/data/hot/shard-007.usearch.meta');
  });

  it('save → open gives the same count and the same answers (load and view)', async () => {
    const original = await saved();
    const before = await answers(original);
    await original.close();
    for (const mode of ['load', 'view'] as const) {
      const reopened = await UsearchIndex.open(path, { mode });
      expect(await reopened.count()).toBe(599);
      expect(await answers(reopened)).toEqual(before);
      await reopened.close();
    }
  });

  it('opens the same file with the graph on a thread of its own, and saves it from there', async () => {
    const original = await saved();
    const before = await answers(original);
    await original.close();
    const threaded = await UsearchIndex.open(path, { graphThread: true });
    expect(await answers(threaded)).toEqual(before);
    await threaded.remove([points[60]!.key]);
    await threaded.save();
    await threaded.close();
    const reopened = await UsearchIndex.open(path);
    expect(await reopened.count()).toBe(598);
    expect(reopened.payloadOf(points[60]!.key)).toBeUndefined();
    await reopened.close();
  });

  /** The resident part loads in the background: its size once it stops changing. */
  async function residentOf(index: UsearchIndex, expected: number): Promise<number> {
    for (let i = 0; i < 400 && index.residentBytes !== expected; i++)
      await new Promise((r) => setTimeout(r, 25));
    return index.residentBytes;
  }

  it('holds the saved points in memory up to residentBytes, after an open and after a save', async () => {
    const original = await saved();
    const all = 599 * 384 * 4; // every vector (the points have no extras)
    expect(await residentOf(original, all)).toBe(all);
    const before = await answers(original);
    await original.close();
    for (const residentBytes of [0, 1000, 100 * 2 ** 20]) {
      const reopened = await UsearchIndex.open(path, { residentBytes });
      const expected = Math.min(residentBytes, all);
      expect(await residentOf(reopened, expected)).toBe(expected);
      expect(await answers(reopened)).toEqual(before);
      await reopened.close();
    }
  });

  it('a save moves its points out of memory; points written after it stay there until the next', async () => {
    // each point is its own nearest, at similarity 1: its vector is read from the right row
    const findsItself = async (index: UsearchIndex) => {
      for (const p of [points[0]!, points[150]!, points[299]!, points[305]!]) {
        const [top] = await index.search(p.vector, { limit: 1 });
        expect(top!.key).toEqual(p.key);
        expect(top!.similarity).toBeGreaterThan(0.9999);
      }
    };
    const index = UsearchIndex.create({ path, residentBytes: 0 });
    await index.upsert(points.slice(0, 300));
    expect(index.unsaved).toBe(300);
    await index.save();
    expect(index.unsaved).toBe(0);
    await index.upsert(points.slice(300, 310));
    await index.upsert([points[0]!]); // a saved point written again: in memory until the next save
    expect(index.unsaved).toBe(11);
    await findsItself(index);
    await index.save();
    expect(index.unsaved).toBe(0);
    await findsItself(index);
    await index.close();
    const reopened = await UsearchIndex.open(path);
    expect(await reopened.count()).toBe(310);
    await findsItself(reopened);
    await reopened.close();
  });

  it('a save removes the temporary files an interrupted save left', async () => {
    writeFileSync(`${path}.tmp-999999`, 'partial');
    writeFileSync(`${sidecarPath(path)}.tmp-999999`, 'partial');
    await (await saved()).close();
    expect(existsSync(`${path}.tmp-999999`)).toBe(false);
    expect(existsSync(`${sidecarPath(path)}.tmp-999999`)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });

  it('a reopened index takes writes and saves again; a view refuses writes', async () => {
    await (await saved()).close();
    const index = await UsearchIndex.open(path);
    await index.upsert([points[50]!]);
    await index.remove([points[0]!.key]);
    await index.save();
    await index.close();
    const again = await UsearchIndex.open(path, { mode: 'view' });
    expect(await again.count()).toBe(599);
    expect((await again.search(points[50]!.vector, { limit: 1 }))[0]!.key).toEqual(points[50]!.key);
    await expect(again.upsert([points[0]!])).rejects.toThrow(/read-only/);
    await again.close();
  });

  it('open throws IndexFileError when the file is missing', async () => {
    await expect(UsearchIndex.open(path)).rejects.toBeInstanceOf(IndexFileError);
  });

  const rebuild = (expectedCount?: () => Promise<number>) =>
    UsearchIndex.openOrRebuild(path, () => inBatches(points), { expectedCount });

  it('rebuilds from the source when the file is missing, and saves it', async () => {
    const first = await rebuild();
    expect(first.rebuilt).toBe(true);
    expect(first.reason).toMatch(/missing/);
    expect(await first.index.count()).toBe(600);
    await first.index.close();
    expect(existsSync(path) && existsSync(sidecarPath(path))).toBe(true);
    const second = await rebuild(async () => 600);
    expect(second.rebuilt).toBe(false);
    expect(await second.index.count()).toBe(600);
    await second.index.close();
  });

  const corruptions: [string, () => void][] = [
    ['index file replaced by garbage', () => writeFileSync(path, Buffer.alloc(4096, 0xab))],
    ['index file truncated', () => truncateSync(path, Math.floor(readFileSync(path).length / 2))],
    [
      'index file altered in the middle',
      () => {
        const b = readFileSync(path);
        b.fill(0x5a, 2000, 2400);
        writeFileSync(path, b);
      },
    ],
    ['index file emptied', () => writeFileSync(path, '')],
    ['sidecar missing', () => rmSync(sidecarPath(path))],
    ['sidecar truncated', () => truncateSync(sidecarPath(path), 100)],
    [
      'sidecar altered',
      () => {
        const b = readFileSync(sidecarPath(path));
        b[b.length - 100] = b[b.length - 100]! ^ 0xff;
        writeFileSync(sidecarPath(path), b);
      },
    ],
  ];
  it.each(corruptions)('rebuilds, without loading it, when: %s', async (_, corrupt) => {
    await (await saved()).close();
    corrupt();
    await expect(UsearchIndex.open(path)).rejects.toBeInstanceOf(IndexFileError);
    const { index, rebuilt, reason } = await rebuild();
    expect(rebuilt).toBe(true);
    expect(reason).toBeTruthy();
    expect(await index.count()).toBe(600);
    const hits = await index.search(points[9]!.vector, { limit: 1 });
    expect(hits[0]!.key).toEqual(points[9]!.key);
    await index.close();
    const reopened = await UsearchIndex.open(path);
    expect(await reopened.count()).toBe(600);
    await reopened.close();
  });

  it('rebuilds a file saved with another quantisation, then opens it as saved', async () => {
    const asF32 = () =>
      UsearchIndex.openOrRebuild(path, () => inBatches(points), { quantization: 'f32' });
    await (await asF32()).index.close();
    const asInt8 = () =>
      UsearchIndex.openOrRebuild(path, () => inBatches(points), { quantization: 'i8' });
    const first = await asInt8();
    expect(first).toMatchObject({ rebuilt: true, reason: 'index stores f32, configured i8' });
    const hits = await first.index.search(points[9]!.vector, { limit: 3 });
    expect(hits[0]).toMatchObject({ key: points[9]!.key });
    expect(hits[0]!.similarity).toBeCloseTo(1, 5);
    await first.index.close();
    const second = await asInt8();
    expect(second.rebuilt).toBe(false);
    expect(await second.index.search(points[9]!.vector, { limit: 3 })).toEqual(hits);
    await second.index.close();
  });

  it('rebuilds when the source holds another number of records (stale file)', async () => {
    await (await saved()).close(); // 599 saved
    const { index, rebuilt, reason } = await rebuild(async () => 600);
    expect(rebuilt).toBe(true);
    expect(reason).toMatch(/stale/);
    expect(await index.count()).toBe(600);
    await index.close();
  });

  it('rebuilds when the source holds other keys in the same number (fingerprint)', async () => {
    await (await saved()).close(); // 599 saved: every point but #50
    const source = points.filter((_, i) => i !== 60); // 599 too: #50 back, #60 gone
    const fp = async () => keySetFingerprint(source.map((p) => p.key));
    const { index, rebuilt, reason } = await UsearchIndex.openOrRebuild(
      path,
      () => inBatches(source),
      {
        expectedCount: async () => 599,
        expectedFingerprint: fp,
      },
    );
    expect(rebuilt).toBe(true);
    expect(reason).toMatch(/other keys/);
    expect(index.fingerprint()).toBe(await fp());
    await index.close();
    const again = await UsearchIndex.openOrRebuild(path, () => inBatches(source), {
      expectedFingerprint: fp,
    });
    expect(again.rebuilt).toBe(false);
    await again.index.close();
  });

  it('rejects vectors of the wrong size or with NaN, and payloads naming another record', async () => {
    const index = UsearchIndex.create();
    const p = points[0]!;
    await expect(index.upsert([{ ...p, vector: new Float32Array(3) }])).rejects.toThrow(
      /dimensions/,
    );
    const nan = new Float32Array(p.vector);
    nan[5] = NaN;
    await expect(index.upsert([{ ...p, vector: nan }])).rejects.toThrow(/finite/);
    await expect(index.upsert([{ ...p, key: points[1]!.key }])).rejects.toThrow(/another record/);
    expect(await index.count()).toBe(0);
    await index.close();
    await expect(index.count()).rejects.toThrow(/closed/);
  });
});

describe('UsearchIndex under concurrent searches', () => {
  it('serves parallel searches and adds on an index grown one point at a time', async () => {
    // usearch reserves thread contexts when it grows: a single-point add must not leave
    // fewer than a later parallel batch uses
    const points = dataset(300, 10);
    const index = UsearchIndex.create();
    for (const p of points) await index.upsert([p]);
    const queries = points.slice(0, 40).map((p) => p.vector);
    const hits = await Promise.all(queries.map((q) => index.search(q, { limit: 1 })));
    expect(hits.map((h) => h[0]!.key)).toEqual(points.slice(0, 40).map((p) => p.key));
    await index.upsert(dataset(700, 0, 7).slice(300));
    expect(await index.count()).toBe(700);
    await index.close();
  });

  it('answers searches of one turn (one native batch) as it answers each alone', async () => {
    const points = dataset(2000, 10);
    const index = UsearchIndex.create();
    await index.upsert(points);
    const next = rng(9);
    const queries = Array.from({ length: 40 }, (_, i) => ({
      vector: unitVector(next),
      opts: {
        limit: 5 + (i % 3) * 10,
        ...(i % 4 === 0 && { filter: { project: PROJECTS[i % 3] } }),
      },
    }));
    const alone = [];
    for (const q of queries) alone.push(await index.search(q.vector, q.opts));
    const together = await Promise.all(queries.map((q) => index.search(q.vector, q.opts)));
    expect(together).toEqual(alone);
    expect(together.map((hits) => hits.length)).toEqual(queries.map((q) => q.opts.limit));
    await index.close();
  });
});
