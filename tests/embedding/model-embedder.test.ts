/** @jest-environment ./tests/embedding/onnx-environment.ts */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelEmbedder } from '../../embedding/model-embedder';
import { cosine } from '../../embedding/vector';
import { createEmbedder } from '../../embedding/factory';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const TEXTS = [
  'NATS JetStream consumer groups with explicit acks',
  'only one duckdb writer may hold the file lock',
  'pasta recipes with fresh tomatoes',
  'x',
  'a somewhat longer memory about replaying the uploads stream to rebuild a shard from its history',
];

describe('ModelEmbedder (generated BERT-shaped model, offline)', () => {
  let dir: string;
  let embedder: ModelEmbedder;

  beforeAll(async () => {
    dir = ensureModel(TINY_MODEL);
    embedder = await ModelEmbedder.load({ model: dir, dtype: 'fp32', batchSize: 2 });
  });
  afterAll(() => embedder.close());

  it('gives 384-d unit vectors and names model and dtype', async () => {
    const vectors = await embedder.embed(TEXTS);
    expect(vectors).toHaveLength(TEXTS.length);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(embedder.info).toEqual({
      name: 'model',
      model: expect.stringMatching(/:fp32$/),
      dim: 384,
    });
  });

  it('gives the same vector for the same text, different ones for different texts', async () => {
    const [a, b, c] = await embedder.embed([TEXTS[0]!, TEXTS[0]!, TEXTS[2]!]);
    expect(maxAbsDiff(a!, b!)).toBe(0);
    expect(cosine(a!, c!)).toBeLessThan(0.99);
  });

  it('gives in a batch (padded, reordered) what it gives for each text alone', async () => {
    const batch = await embedder.embed(TEXTS);
    for (const [i, text] of TEXTS.entries()) {
      const [alone] = await embedder.embed([text]);
      expect(maxAbsDiff(batch[i]!, alone!)).toBeLessThan(1e-5);
    }
  });

  it('embeds an empty batch to nothing', async () => {
    expect(await embedder.embed([])).toEqual([]);
  });

  it('loads the int8 model (dtype q8) close to the fp32 one', async () => {
    const q8 = await ModelEmbedder.load({ model: dir, dtype: 'q8' });
    try {
      expect(q8.info.model).toMatch(/:q8$/);
      const [a] = await q8.embed([TEXTS[0]!]);
      const [b] = await embedder.embed([TEXTS[0]!]);
      expect(a).toHaveLength(384);
      expect(cosine(a!, b!)).toBeGreaterThan(0.95);
    } finally {
      await q8.close();
    }
  });

  it('refuses a model whose hidden size is not the index dimension', async () => {
    await expect(ModelEmbedder.load({ model: dir, expectedDim: 768 })).rejects.toThrow(
      /gives 384-d vectors but the index stores 768-d/,
    );
  });

  it('says where it looked and how to fix it when the model is missing', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'akosha-models-'));
    const expected = join(cacheDir, 'Xenova/all-MiniLM-L6-v2');
    const load = ModelEmbedder.load({ model: 'Xenova/all-MiniLM-L6-v2', cacheDir });
    await expect(load).rejects.toThrow(expected);
    await expect(load).rejects.toThrow(/akosha model pull Xenova\/all-MiniLM-L6-v2/);
    await expect(ModelEmbedder.load({ model: '/nonexistent/model-dir' })).rejects.toThrow(
      /looked in \/nonexistent\/model-dir \(missing config\.json/,
    );
    const partial = mkdtempSync(join(tmpdir(), 'akosha-model-'));
    writeFileSync(join(partial, 'config.json'), '{"hidden_size": 384}');
    await expect(ModelEmbedder.load({ model: partial, dtype: 'q8' })).rejects.toThrow(
      `looked in ${partial} (missing tokenizer.json, onnx/model_quantized.onnx)`,
    );
  });

  it('is what createEmbedder builds for kind model with workers 0', async () => {
    const e = await createEmbedder({ kind: 'model', model: dir, dtype: 'fp32', workers: 0 });
    try {
      expect(e).toBeInstanceOf(ModelEmbedder);
      const [a] = await e.embed([TEXTS[1]!]);
      const [b] = await embedder.embed([TEXTS[1]!]);
      expect(maxAbsDiff(a!, b!)).toBeLessThan(1e-6);
    } finally {
      await e.close();
    }
    expect((await createEmbedder({ kind: 'hashing' })).info.name).toBe('hashing');
  });
});
