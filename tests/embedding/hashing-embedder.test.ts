import { HashingEmbedder } from '../../embedding/hashing-embedder';
import { cosine, decodeVector, encodeVector } from '../../embedding/vector';
import { ReadPriority } from '../../infra/read-priority';

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

  it('embeds many texts in steps that wait for a search in flight', async () => {
    const priority = new ReadPriority(60_000);
    const stepped = new HashingEmbedder(priority);
    const texts = Array.from({ length: 500 }, (_, i) => `record ${i} `.repeat(30));
    const end = priority.begin();
    let vectors: Float32Array[] | undefined;
    const embedding = stepped.embed(texts).then((v) => (vectors = v));
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    expect(vectors).toBeUndefined(); // held after its first step, well short of 500 texts
    end();
    await embedding;
    expect(vectors).toHaveLength(500);
    expect(Array.from(vectors![499]!)).toEqual(Array.from(embedder.embedOne(texts[499]!)));
  });

  it('embeds a single query text without yielding, even while searches are in flight', async () => {
    const priority = new ReadPriority(60_000);
    priority.begin();
    const [v] = await new HashingEmbedder(priority).embed(['a query']);
    expect(v).toHaveLength(384);
  });
});
