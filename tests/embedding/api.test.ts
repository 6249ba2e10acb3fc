import {
  EMBEDDING_API_LIMITS,
  generateBatchEmbeddings,
  generateEmbedding,
} from '../../embedding/api';
import { HashingEmbedder } from '../../embedding/hashing-embedder';
import { AkoshaError } from '../../infra/errors';

const embedder = new HashingEmbedder();

async function errorOf(p: Promise<unknown>): Promise<AkoshaError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AkoshaError);
    return err as AkoshaError;
  }
  throw new Error('expected a rejection');
}

describe('embedding tools (Python Akosha compatible)', () => {
  it('generate_embedding returns {embedding_dim, embedding, mode}', async () => {
    const r = await generateEmbedding(embedder, { text: 'hello world' });
    expect(r.embedding_dim).toBe(384);
    expect(r.embedding).toHaveLength(384);
    expect(r.mode).toBe('hashing');
    expect(Math.hypot(...r.embedding)).toBeCloseTo(1, 5);
  });

  it('generate_batch_embeddings returns {embedding_dim, embeddings, count, mode} in batches', async () => {
    const calls: number[] = [];
    const spy = {
      info: embedder.info,
      embed: (t: readonly string[]) => (calls.push(t.length), embedder.embed(t)),
      close: async () => {},
    };
    const texts = Array.from({ length: 5 }, (_, i) => `text ${i}`);
    const r = await generateBatchEmbeddings(spy, { texts, batch_size: 2 });
    expect(r).toMatchObject({ embedding_dim: 384, count: 5, mode: 'hashing' });
    expect(r.embeddings[3]).toEqual(Array.from(embedder.embedOne('text 3')));
    expect(calls).toEqual([2, 2, 1]);
    await generateBatchEmbeddings(spy, { texts });
    expect(calls.slice(3)).toEqual([5]); // default batch_size 32
  });

  it.each([
    [{}, 'text'],
    [{ text: '' }, 'text'],
    [{ text: 'x'.repeat(EMBEDDING_API_LIMITS.maxTextChars + 1) }, 'text'],
    [{ text: 42 }, 'text'],
  ])('generate_embedding rejects %j naming %s', async (args, path) => {
    const err = await errorOf(generateEmbedding(embedder, args));
    expect(err.code).toBe('SCHEMA_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.issues[0]!.path).toBe(path);
    expect(err.message).toMatch(/^generate_embedding: text: /);
  });

  it.each([
    [{ texts: [] }, 'texts', /at least one/],
    [{ texts: Array(1001).fill('a') }, 'texts', /at most 1000 texts/],
    [{ texts: ['ok', ''] }, 'texts.1', /must not be empty/],
    [{ texts: Array(101).fill('x'.repeat(10_000)) }, 'texts', /1010000 characters in all/],
    [{ texts: ['a'], batch_size: 0 }, 'batch_size', /at least 1/],
    [{ texts: ['a'], batch_size: 129 }, 'batch_size', /at most 128/],
    [{ texts: ['a'], batch_size: 1.5 }, 'batch_size', /integer/],
    [{ texts: 'a' }, 'texts', /./],
  ])('generate_batch_embeddings rejects %#', async (args, path, message) => {
    const err = await errorOf(generateBatchEmbeddings(embedder, args));
    expect(err.code).toBe('SCHEMA_INVALID');
    expect(err.issues.map((i) => i.path)).toContain(path);
    expect(err.issues.find((i) => i.path === path)!.message).toMatch(message);
  });
});
