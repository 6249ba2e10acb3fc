import { qdrantPointIdOf } from '../../../storage/vector-index/keys';
import { QdrantIndex } from '../../../storage/vector-index/qdrant-index';
import { shardFilter } from '../../../storage/vector-index/qdrant-wire';
import { fixture, RecordingQdrant } from '../../helpers/qdrant/server';
import { runVectorIndexConformance } from './conformance';
import { dataset, keyStr } from './fixtures';

/**
 * The adapter against Qdrant's REST contract: every request it makes is checked against the
 * schema Qdrant 1.18 accepts (tests/helpers/qdrant/shapes.ts) and answered with Qdrant's
 * recorded responses (tests/fixtures/qdrant/). The real server's behaviour is the
 * conformance suite's job (qdrant-index.test.ts, with QDRANT_URL).
 */
describe('Qdrant adapter against the REST contract', () => {
  let qdrant: RecordingQdrant;
  let n = 0;
  beforeAll(async () => {
    qdrant = await RecordingQdrant.start({ apiKey: 'contract-key' });
    // the client warns that an API key goes over plain http: true, and meant here
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => qdrant.stop());
  afterEach(() => {
    expect(qdrant.problems).toEqual([]);
    qdrant.requests.length = 0;
  });

  const open = (collection = `c${n++}`) =>
    QdrantIndex.connect({
      url: qdrant.url,
      apiKey: 'contract-key',
      collection,
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 50 },
    });

  it('creates the collection with its settings and payload indexes, once', async () => {
    const index = await open('created');
    expect(qdrant.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /collections/created/exists',
      'PUT /collections/created',
      ...Array.from({ length: 5 }, () => 'PUT /collections/created/index'),
    ]);
    expect(qdrant.calls('create_collection')[0]!.body).toEqual({
      vectors: { size: 384, distance: 'Cosine', on_disk: true },
      on_disk_payload: true,
      hnsw_config: { m: 16, ef_construct: 128 },
      quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
    });
    expect(qdrant.calls('create_field_index').map((r) => r.body)).toEqual([
      { field_name: 'system_id', field_schema: 'keyword' },
      { field_name: 'project', field_schema: 'keyword' },
      { field_name: 'kind', field_schema: 'keyword' },
      { field_name: 'timestamp_ms', field_schema: 'integer' },
      { field_name: 'shard', field_schema: 'integer' },
    ]);
    expect(qdrant.calls('create_field_index').every((r) => r.query.get('wait') === 'true')).toBe(
      true,
    );
    qdrant.requests.length = 0;
    await index.ensureCollection(); // again: checked, not created
    expect(qdrant.calls('create_collection')).toHaveLength(0);
    expect(qdrant.calls('get_collection')).toHaveLength(1);
  });

  it('takes a collection another process created meanwhile (409 already exists)', async () => {
    await open('raced');
    qdrant.requests.length = 0;
    // this process saw no collection, then lost the race to create it
    qdrant.script.push({ status: 200, body: fixture('collection-exists') });
    (qdrant.script[0]!.body as { result: { exists: boolean } }).result.exists = false;
    await open('raced');
    const ops = qdrant.requests.map((r) => r.operation);
    expect(ops.slice(0, 4)).toEqual([
      'collection_exists',
      'create_collection',
      'collection_exists',
      'get_collection',
    ]);
  });

  it('refuses a collection whose vectors have another size', async () => {
    await open('other-size');
    qdrant.collections.get('other-size')!.config.vectors = { size: 768, distance: 'Cosine' };
    await expect(open('other-size')).rejects.toThrow(/expected 384-d Cosine/);
  });

  it('upserts points with wait=true, deterministic ids and the payload plus epoch-ms time', async () => {
    const index = await open();
    const points = dataset(3).map((p, i) => ({ ...p, extra: { content: `text ${i}` } }));
    await index.upsert(points);
    const [req] = qdrant.calls('upsert_points');
    expect(req!.method).toBe('PUT');
    expect(req!.query.get('wait')).toBe('true');
    const body = req!.body as { points: { id: string; payload: Record<string, unknown> }[] };
    expect(body.points.map((p) => p.id)).toEqual(points.map((p) => qdrantPointIdOf(p.key)));
    expect(body.points[1]!.payload).toEqual({
      ...points[1]!.payload,
      content: 'text 1',
      timestamp_ms: Date.parse(points[1]!.payload.timestamp),
    });
  });

  it('deletes by ids with wait=true', async () => {
    const index = await open();
    const points = dataset(4);
    await index.upsert(points);
    await index.remove([points[0]!.key, { system_id: 'nobody', id: 'x' }]);
    const [req] = qdrant.calls('delete_points');
    expect(req!.query.get('wait')).toBe('true');
    expect(req!.body).toEqual({
      points: [qdrantPointIdOf(points[0]!.key), qdrantPointIdOf({ system_id: 'nobody', id: 'x' })],
    });
    expect(await index.count()).toBe(3);
  });

  it('queries with the filter, hnsw_ef and rescored int8 oversampling, and maps hits back', async () => {
    const index = await open();
    const points = dataset(50, 5);
    await index.upsert(points);
    const q = points[2]!.vector;
    const hits = await index.search(q, {
      limit: 3,
      filter: { system_id: 'sys-rare', kind: 'conversation' },
    });
    expect(keyStr(hits[0]!.key)).toBe(keyStr(points[2]!.key));
    expect(hits[0]!.similarity).toBeCloseTo(1, 5);
    const [req] = qdrant.calls('query_points');
    expect(req!.body).toMatchObject({
      limit: 3,
      params: { hnsw_ef: 80, quantization: { rescore: true, oversampling: 2 } },
      with_payload: ['system_id', 'id'],
      with_vector: false,
      filter: {
        must: [
          { key: 'system_id', match: { value: 'sys-rare' } },
          { key: 'kind', match: { value: 'conversation' } },
        ],
      },
    });
  });

  it('reads a recorded query answer: payload fields, scores, point ids as strings', async () => {
    const index = await open();
    qdrant.script.push({ status: 200, body: fixture('query') });
    const found = await index.searchPoints(dataset(1)[0]!.vector, {
      limit: 2,
      scoreThreshold: 0.5,
      withPayload: ['system_id', 'id', 'content'],
    });
    expect(found.map((p) => [p.id, p.payload.id, p.similarity])).toEqual([
      ['2f0e8c1a-9b3d-8e47-a5c2-6d1f0b7e9a34', 'r1', 0.91734],
      ['7c41d5e2-03aa-8f19-b6e0-1e2d3c4b5a69', 'r2#1', 0.80412],
    ]);
    expect(qdrant.calls('query_points')[0]!.body).toMatchObject({ score_threshold: 0.5 });
  });

  it('scrolls a shard page by page from next_page_offset, and counts it exactly', async () => {
    const index = await open();
    const points = dataset(25).map((p, i) => ({ ...p, payload: { ...p.payload, shard: i % 2 } }));
    await index.upsert(points);
    const ids: string[] = [];
    for await (const page of index.scroll(shardFilter(0), false, 5))
      ids.push(...page.map((p) => p.id));
    const even = points.filter((_, i) => i % 2 === 0).map((p) => qdrantPointIdOf(p.key));
    expect(ids.sort()).toEqual(even.sort());
    const scrolls = qdrant.calls('scroll_points').map((r) => r.body as Record<string, unknown>);
    expect(scrolls).toHaveLength(3);
    expect(scrolls[0]).toEqual({
      limit: 5,
      with_payload: false,
      with_vector: false,
      filter: { must: [{ key: 'shard', match: { value: 0 } }] },
    });
    expect(scrolls[1]!.offset).toBe(ids[5]);
    expect(await index.countWhere(shardFilter(1))).toBe(12);
    expect(qdrant.calls('count_points').at(-1)!.body).toEqual({
      exact: true,
      filter: { must: [{ key: 'shard', match: { value: 1 } }] },
    });
  });

  it('reads points by id, and a recorded answer of it', async () => {
    const index = await open();
    await index.upsert(dataset(3));
    const id = qdrantPointIdOf(dataset(3)[1]!.key);
    const read = await index.retrieve([id, qdrantPointIdOf({ system_id: 'x', id: 'y' })], ['id']);
    expect(read).toEqual([{ id, payload: { id: dataset(3)[1]!.key.id } }]);
    qdrant.script.push({ status: 200, body: fixture('retrieve') });
    const recorded = await index.retrieve([id], ['content']);
    expect(recorded[0]!.payload.content).toBe('second memory, a long one');
  });

  it("surfaces Qdrant's 404 for a missing collection without retrying it", async () => {
    const index = await open('gone');
    qdrant.collections.delete('gone');
    qdrant.requests.length = 0;
    await expect(index.count()).rejects.toMatchObject({ status: 404 });
    expect(qdrant.requests).toHaveLength(1);
  });
});

describe('the recording server itself', () => {
  it('reports requests Qdrant would refuse', async () => {
    const qdrant = await RecordingQdrant.start();
    try {
      const res = await fetch(`${qdrant.url}/collections/x`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vectors: { size: 3, distance: 'cosine' }, hnsw: { m: 8 } }),
      });
      expect(res.status).toBe(400);
      expect(qdrant.problems).toEqual([
        'PUT /collections/x: body: unknown field "hnsw"',
        'PUT /collections/x: vectors.distance: Cosine | Euclid | Dot | Manhattan',
      ]);
    } finally {
      await qdrant.stop();
    }
  });
});

describe('the recording server as a checking proxy (how the suites reach a real Qdrant)', () => {
  it('forwards well-formed requests upstream and answers with what upstream answers', async () => {
    const upstream = await RecordingQdrant.start();
    const front = await RecordingQdrant.start({ upstream: upstream.url });
    try {
      const index = await QdrantIndex.connect({ url: front.url, collection: 'proxied' });
      await index.upsert(dataset(3));
      expect(await index.count()).toBe(3);
      expect(front.collections.size).toBe(0); // it kept nothing itself
      expect(upstream.calls('upsert_points')).toHaveLength(1);
      front.outage = { status: 503, retryAfterS: 0 };
      await expect(
        new QdrantIndex({
          url: front.url,
          collection: 'proxied',
          retry: { maxRetries: 0 },
        }).count(),
      ).rejects.toMatchObject({ name: 'RetriesExhaustedError', cause: { status: 503 } });
      expect(upstream.calls('count_points')).toHaveLength(1);
      expect([...front.problems, ...upstream.problems]).toEqual([]);
    } finally {
      await front.stop();
      await upstream.stop();
    }
  });
});

describe('VectorIndex conformance over the REST contract', () => {
  let qdrant: RecordingQdrant;
  let n = 0;
  beforeAll(async () => {
    qdrant = await RecordingQdrant.start();
  });
  afterAll(async () => {
    expect(qdrant.problems).toEqual([]);
    await qdrant.stop();
  });
  runVectorIndexConformance('qdrant adapter, recording server', () =>
    QdrantIndex.connect({ url: qdrant.url, collection: `conformance_${n++}` }),
  );
});
