import type { Pipeline } from '../../app/pipeline';
import { post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';

describe('HTTP endpoints', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url));
    base = pipeline.httpAddress!;
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('answers /health and /ready while consuming', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      consuming: true,
      embedder: 'hashing/fnv1a-words-trigrams-v1',
      orchestrator: { mode: 'fallback', mahavishnu_url: null },
    });
  });

  it('exports the pipeline metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'akosha_ingest_messages_total',
      'akosha_ingest_duration_seconds',
      'akosha_consumer_pending',
      'akosha_dead_letters_total',
      'akosha_embed_duration_seconds',
      'akosha_bridge_mode',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('rejects a bad search with 400 and every issue', async () => {
    const res = await post(base, '/api/v1/search', { query: '', limit: 0, system_id: 'a.b' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['limit', 'query', 'system_id']);
  });

  it('returns an empty result list when nothing is stored', async () => {
    const res = await post(base, '/api/v1/search', { query: 'anything at all' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ results: [], total: 0 });
  });

  it('reports not ready once draining', async () => {
    const closing = pipeline.close();
    expect(pipeline.readiness().ready).toBe(false);
    await closing;
  });
});

describe('embedding endpoints (Python Akosha shapes)', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['api']);
    base = pipeline.httpAddress!;
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('generate_embedding returns one 384-d unit vector and says which embedder made it', async () => {
    const res = await post(base, '/api/v1/embeddings', { text: 'shard writers' });
    const body = (await res.json()) as {
      embedding: number[];
      embedding_dim: number;
      mode: string;
      model: string;
    };
    expect(body).toMatchObject({
      embedding_dim: 384,
      mode: 'hashing',
      model: 'fnv1a-words-trigrams-v1',
    });
    expect(Math.hypot(...body.embedding)).toBeCloseTo(1, 5);
  });

  it('generate_batch_embeddings keeps order, and batching does not change vectors', async () => {
    const texts = ['a b c', 'shard writers', 'dead letters'];
    const res = await post(base, '/api/v1/embeddings/batch', { texts, batch_size: 2 });
    const body = (await res.json()) as { embeddings: number[][]; count: number };
    expect(body.count).toBe(3);
    const single = (await (await post(base, '/api/v1/embeddings', { text: texts[1] })).json()) as {
      embedding: number[];
    };
    expect(body.embeddings[1]).toEqual(single.embedding);
  });

  it('answers 400 with the issues for out-of-range input', async () => {
    const res = await post(base, '/api/v1/embeddings/batch', { texts: [''], batch_size: 500 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['batch_size', 'texts.0']);
  });
});
