/** @jest-environment ./tests/embedding/onnx-environment.ts */
import { chunkText, embedTexts, meanVector } from '../../embedding/chunking';
import { ModelEmbedder } from '../../embedding/model-embedder';
import { cosine } from '../../embedding/vector';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';

const WORDS = 'stream consumer shard writer duckdb vector index embed upload replay memory'.split(
  ' ',
);
/** n words from the vocabulary: one token each, so counts are exact. */
const words = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => WORDS[(i + offset) % WORDS.length]).join(' ');

describe('token-aware chunking', () => {
  let embedder: ModelEmbedder;

  beforeAll(async () => {
    // fp32: an int8 model's vector of a text depends slightly on the batch it is embedded in
    embedder = await ModelEmbedder.load({ model: ensureModel(TINY_MODEL), dtype: 'fp32' });
  });
  afterAll(() => embedder.close());

  it('keeps a text that fits the window as one chunk, unchanged', async () => {
    const text = `  ${words(20)}  `;
    expect(await chunkText(embedder, text, { maxTokens: 64 })).toEqual([text]);
  });

  it('cuts a long text into windows that fit, overlap, and cover every word', async () => {
    const text = words(600);
    const chunks = await chunkText(embedder, text, { maxTokens: 64, overlapTokens: 8 });
    const counts = await embedder.countTokens(chunks);
    expect(chunks.length).toBeGreaterThan(600 / 62);
    for (const c of counts) expect(c).toBeLessThanOrEqual(62);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!.split(' ');
      const next = chunks[i]!.split(' ');
      // the next chunk starts with the last 8 words of the one before it
      expect(next.slice(0, 8)).toEqual(prev.slice(-8));
    }
    const covered = chunks.map((c, i) => (i === 0 ? c : c.split(' ').slice(8).join(' ')));
    expect(covered.join(' ')).toBe(text);
  });

  it('defaults to 256-token windows and cuts a word longer than a window', async () => {
    const chunks = await chunkText(embedder, words(1000));
    expect(Math.max(...(await embedder.countTokens(chunks)))).toBeLessThanOrEqual(254);
    const long = 'a'.repeat(50) + ' ' + words(10);
    const pieces = await chunkText(embedder, long, { maxTokens: 12, overlapTokens: 0 });
    expect(pieces.join('')).toBe(long.replace(' ', ''));
  });

  it('embeds a long text per passage, spans into the text; the record vector is their normalised mean', async () => {
    const texts = [words(10), words(500, 3)];
    const [short, long] = await embedTexts(embedder, texts, { maxTokens: 128 });
    expect(short!.passages).toEqual([]);
    expect(Array.from(short!.vector)).toEqual(Array.from((await embedder.embed([texts[0]!]))[0]!));
    expect(long!.passages.length).toBeGreaterThan(3);
    const first = long!.passages[0]!;
    const [alone] = await embedder.embed([texts[1]!.slice(first.start, first.end)]);
    expect(cosine(first.vector, alone!)).toBeCloseTo(1, 5);
    expect(long!.passages.at(-1)!.end).toBe(texts[1]!.length);
    expect(Math.hypot(...long!.vector)).toBeCloseTo(1, 5);
    expect(cosine(long!.vector, meanVector(long!.passages.map((p) => p.vector)))).toBeCloseTo(1, 6);
    for (const p of long!.passages) expect(cosine(long!.vector, p.vector)).toBeGreaterThan(0.5);
  });
});
