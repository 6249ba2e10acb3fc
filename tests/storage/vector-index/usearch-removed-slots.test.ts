import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { usearchKeyOf } from '../../../storage/vector-index/keys';
import { PointStore } from '../../../storage/vector-index/point-store';
import {
  IndexFileError,
  UsearchIndex,
  shardIndexPath,
} from '../../../storage/vector-index/usearch-index';
import { sha256InWorker } from '../../../storage/vector-index/file-hash';
import { sidecarPath, writeSidecar } from '../../../storage/vector-index/usearch-sidecar';
import { savedSlotCount, slotsLoadable } from '../../../storage/vector-index/usearch-slots';
import { DIM, dataset, inBatches, rng, unitVector } from './fixtures';

// usearch's binding reserves ceil2(live points) slots when it loads a file and copies every
// saved slot into them: a file with more removed slots than that room used to abort the process
describe('usearch files with removed slots', () => {
  const points = dataset(600, 10);
  const kept = points.slice(500);
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-slots-'));
    path = shardIndexPath(dir, 3);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells which slot counts the binding can load', () => {
    expect(slotsLoadable(128, 100)).toBe(true);
    expect(slotsLoadable(129, 100)).toBe(false);
    expect(slotsLoadable(2000, 1025)).toBe(true);
    expect(slotsLoadable(2000, 1000)).toBe(false);
    expect(slotsLoadable(0, 0)).toBe(true);
  });

  it.each(['f32', 'i8'] as const)(
    '%s: a save after most points were removed leaves them out, and the file opens (load and view) with the same answers',
    async (quantization) => {
      const index = UsearchIndex.create({ path, quantization });
      for await (const batch of inBatches(points)) await index.upsert(batch);
      await index.remove(points.slice(0, 500).map((p) => p.key));
      const queries = [kept[3]!.vector, unitVector(rng(11)), unitVector(rng(12))];
      const ask = (i: UsearchIndex) => Promise.all(queries.map((q) => i.search(q, { limit: 10 })));
      await index.save();
      expect(await savedSlotCount(path)).toBe(100);
      // after the save: the compacted graph is another approximation than the one before it
      const before = await ask(index);
      await index.upsert([points[0]!]); // the compacted graph takes writes
      expect((await index.search(points[0]!.vector, { limit: 1 }))[0]!.key).toEqual(points[0]!.key);
      await index.close();
      for (const mode of ['load', 'view'] as const) {
        const reopened = await UsearchIndex.open(path, { mode, quantization });
        expect(await reopened.count()).toBe(100);
        expect(await ask(reopened)).toEqual(before);
        await reopened.close();
      }
    },
  );

  it('refuses to load a file whose removed slots would overrun that room, and rebuilds it', async () => {
    await writeWithRemovedSlots(path);
    await expect(UsearchIndex.open(path, { quantization: 'f32' })).rejects.toThrow(IndexFileError);
    await expect(UsearchIndex.open(path, { quantization: 'f32' })).rejects.toThrow(
      /500 removed slots/,
    );
    const { index, rebuilt, reason } = await UsearchIndex.openOrRebuild(
      path,
      () => inBatches(kept),
      { quantization: 'f32' },
    );
    expect({ rebuilt, reason }).toEqual({
      rebuilt: true,
      reason: 'index holds 500 removed slots beside 100',
    });
    expect(await index.count()).toBe(100);
    await index.close();
    expect(await savedSlotCount(path)).toBe(100);
  });

  /** A file as an older save wrote it: 600 slots, 500 of them removed, and its sidecar. */
  async function writeWithRemovedSlots(file: string): Promise<void> {
    const native = new Index({
      dimensions: DIM,
      metric: MetricKind.Cos,
      quantization: ScalarKind.F32,
      connectivity: 16,
      expansion_add: 128,
      expansion_search: 64,
      multi: false,
    });
    const flat = new Float32Array(points.length * DIM);
    points.forEach((p, i) => flat.set(p.vector, i * DIM));
    native.add(
      BigUint64Array.from(points, (p) => usearchKeyOf(p.key)),
      flat,
      1,
    );
    native.remove(BigUint64Array.from(points.slice(0, 500), (p) => usearchKeyOf(p.key)));
    native.save(file);
    const store = new PointStore(DIM);
    for (const p of kept) store.put(usearchKeyOf(p.key), p.payload, p.vector);
    const header = {
      version: 2,
      dimensions: DIM,
      count: kept.length,
      index_bytes: statSync(file).size,
      index_sha256: await sha256InWorker(file),
      connectivity: 16,
      quantization: 'f32' as const,
      saved_at: new Date().toISOString(),
    };
    await writeSidecar(sidecarPath(file), header, await store.snapshot());
  }
});
