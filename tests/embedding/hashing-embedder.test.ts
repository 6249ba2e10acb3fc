import { createHash } from 'node:crypto';
import { HashingEmbedder } from '../../embedding/hashing-embedder';
import { cosine, decodeVector, encodeVector } from '../../embedding/vector';

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder();

  it('gives 384-d unit vectors, the same for the same text', async () => {
    const [a, b] = await embedder.embed([
      'NATS JetStream consumer groups',
      'NATS JetStream consumer groups',
    ]);
    expect(a).toHaveLength(384);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(Array.from(a!)).toEqual(Array.from(b!));
  });

  it('gives the vectors its model id stands for (stored vectors depend on them)', () => {
    const digest = (text: string) =>
      createHash('sha256')
        .update(Buffer.from(embedder.embedOne(text).buffer))
        .digest('hex')
        .slice(0, 16);
    expect(digest('NATS JetStream consumer groups')).toBe('e9cfb5c3b62fd048');
    expect(digest('Ünïcode straße 𝔘𝔫𝔦 test 42, a b')).toBe('92627d0f030c68e9');
    expect(digest('?!...')).toBe('4df0d4d40c9d8434');
    expect(digest('')).toBe('3d90ae094baa81d9');
  });

  it('puts texts that share words closer than unrelated ones', async () => {
    const [q, near, far] = await embedder.embed([
      'duckdb writer lock',
      'only one duckdb writer may hold the file lock',
      'pasta recipes with fresh tomatoes',
    ]);
    expect(cosine(q!, near!)).toBeGreaterThan(cosine(q!, far!) + 0.2);
  });

  it('embeds text without words (punctuation only) to a unit vector', async () => {
    const [v] = await embedder.embed(['?!...']);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
  });

  it('round-trips vectors through the base64 wire form', async () => {
    const [v] = await embedder.embed(['round trip']);
    expect(Array.from(decodeVector(encodeVector(v!), 384))).toEqual(Array.from(v!));
    expect(() => decodeVector(encodeVector(v!), 128)).toThrow(/384 dims, expected 128/);
  });

  it('embeds a large batch in turns, letting the event loop run between them', async () => {
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    // texts of ~1 KB: tens of milliseconds of work, several times one turn's share
    const texts = Array.from({ length: 500 }, (_, i) =>
      `memory ${i} of a large upload `.repeat(32),
    );
    const vectors = await embedder.embed(texts);
    expect(turnEnded).toBe(true);
    expect(vectors).toHaveLength(texts.length);
    for (const i of [0, 250, 499])
      expect(Array.from(vectors[i]!)).toEqual(Array.from(embedder.embedOne(texts[i]!)));
  });
});
