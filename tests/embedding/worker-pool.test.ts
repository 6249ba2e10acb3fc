/** @jest-environment ./tests/embedding/onnx-environment.ts */
import { ModelEmbedder } from '../../embedding/model-embedder';
import { WorkerPoolEmbedder } from '../../embedding/worker-pool';
import { createEmbedder } from '../../embedding/factory';
import type { Worker } from 'node:worker_threads';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';
import { waitFor } from '../helpers/wait-for';

const TEXTS = Array.from(
  { length: 37 },
  (_, i) => `memory ${i}: ${'stream shard writer replay '.repeat(1 + (i % 5))}`,
);

describe('WorkerPoolEmbedder', () => {
  let dir: string;
  let pool: WorkerPoolEmbedder;

  beforeAll(async () => {
    dir = ensureModel(TINY_MODEL);
    // fp32: int8's dynamic quantisation makes a vector depend on the batch it was computed in
    pool = await WorkerPoolEmbedder.start({ model: dir, dtype: 'fp32', workers: 2, batchSize: 8 });
  });
  afterAll(() => pool.close());

  it('gives the vectors one in-process embedder gives, in input order', async () => {
    const single = await ModelEmbedder.load({ model: dir, dtype: 'fp32' });
    try {
      const [fromPool, fromOne] = [await pool.embed(TEXTS), await single.embed(TEXTS)];
      expect(pool.size).toBe(2);
      expect(pool.info).toEqual(single.info);
      expect(fromPool).toHaveLength(TEXTS.length);
      fromPool.forEach((v, i) => {
        expect(v).toHaveLength(384);
        for (let d = 0; d < v.length; d++)
          expect(Math.abs(v[d]! - fromOne[i]![d]!)).toBeLessThan(1e-5);
      });
      expect(await pool.countTokens(TEXTS.slice(0, 3))).toEqual(
        await single.countTokens(TEXTS.slice(0, 3)),
      );
    } finally {
      await single.close();
    }
  });

  it('serves concurrent calls and an empty one', async () => {
    const [a, b, none] = await Promise.all([
      pool.embed(TEXTS.slice(0, 5)),
      pool.embed(TEXTS.slice(5, 6)),
      pool.embed([]),
    ]);
    expect(a).toHaveLength(5);
    expect(b).toHaveLength(1);
    expect(none).toEqual([]);
  });

  it('replaces a worker that dies and keeps embedding', async () => {
    const slots = (pool as unknown as { slots: { worker?: Worker }[] }).slots;
    const dead = slots[0]!.worker!;
    await dead.terminate();
    // the other worker carries on meanwhile
    expect(await pool.embed(TEXTS.slice(0, 4))).toHaveLength(4);
    await waitFor(() => slots[0]!.worker !== undefined && slots[0]!.worker !== dead, {
      what: 'a replacement worker',
    });
    const [before] = await pool.embed([TEXTS[0]!]);
    const after = await pool.embed(TEXTS.slice(0, 16));
    expect(Array.from(after[0]!)).toEqual(Array.from(before!));
  });

  it('fails to start, naming the path, when the model is missing', async () => {
    await expect(
      WorkerPoolEmbedder.start({ model: '/nonexistent/akosha-model', workers: 2 }),
    ).rejects.toThrow(/looked in \/nonexistent\/akosha-model/);
  });

  it('refuses work after close', async () => {
    const p = await createEmbedder({ kind: 'model', model: dir, workers: 1, dtype: 'q8' });
    expect(p).toBeInstanceOf(WorkerPoolEmbedder);
    expect(p.info.model).toMatch(/:q8$/);
    await p.close();
    await expect(p.embed(['x'])).rejects.toThrow(/closed/);
  });

  (process.platform === 'linux' ? it : it.skip)(
    'runs its workers and their ONNX threads at the nice value asked for, not the event loop',
    async () => {
      const mainNice = getPriority(0);
      const nice = Math.min(19, mainNice + 6);
      const p = await WorkerPoolEmbedder.start({ model: dir, dtype: 'fp32', workers: 1, nice });
      try {
        await p.embed(TEXTS.slice(0, 4));
        // the worker thread and the threads its session started, beside the process's own
        expect(threadNiceValues().filter((n) => n === nice).length).toBeGreaterThanOrEqual(1);
        expect(getPriority(0)).toBe(mainNice);
      } finally {
        await p.close();
      }
    },
  );
});

/** The nice value of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}
