import { buildHttpServer } from '../../api/http';
import { Memory, StatusResponse, SystemsResponse } from '../../api/openapi/responses';
import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { groupOfShard } from '../../streams/subjects';
import { STREAM, writerConsumerName } from '../../streams/definitions';
import { getJson, post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { registeredRoutes, routeMatchesPath } from '../helpers/routes';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const A = 'rest-host-a';
const B = 'rest-host-b';
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
/** long enough that warm keeps a shorter summary */
const text = (topic: string) =>
  Array.from({ length: 6 }, (_, i) => `Sentence ${i} of a memory about ${topic}.`).join(' ');

type Json = Record<string, unknown>;
interface SchemaOf {
  required: string[];
  properties: Json;
}

describe('query REST endpoints', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;
  const get = <T = Json>(path: string) => getJson<T>(base, path);
  const publish = (systemId: string, uploadId: string, records: unknown[]) =>
    publishUpload(nats.js, upload(systemId, uploadId, records), { maxPayloadBytes: 1 << 20 });

  beforeAll(async () => {
    nats = await startTestNats();
    // no scheduler: nothing ages records but the test itself
    pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer', 'api']);
    base = pipeline.httpAddress!;
    const at = (days: number) => ({ timestamp: daysAgo(days).toISOString() });
    await publish(A, 'rest-a-1', [
      record('a-new', text('fresh hot records'), { ...at(1), tags: ['x'], metadata: { n: 1 } }),
      record('a-warm', text('warm summaries'), at(30)),
      record('a:cold.1', text('parquet objects'), { ...at(200), kind: 'reflection' }),
    ]);
    await publish(B, 'rest-b-1', [
      record('b-1', text('another system'), at(2)),
      record('b-2', text('a second record'), at(3)),
    ]);
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === 2,
      what: 'ingest',
    });
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const ageSystemA = async () => {
    await pipeline.mover!.moveHotToWarm(shardOf(A), daysAgo(7));
    await pipeline.mover!.moveWarmToCold(shardOf(A), daysAgo(90));
  };

  it('returns a hot memory with its full text and every field', async () => {
    const { status, body } = await get('/api/v1/memories/rest-host-a/a-new');
    expect(status).toBe(200);
    expect(Memory.strict().parse(body)).toEqual({
      system_id: A,
      id: 'a-new',
      kind: 'conversation',
      content: text('fresh hot records'),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      project: 'akosha',
      tags: ['x'],
      metadata: { n: 1 },
      upload_id: 'rest-a-1',
      shard: shardOf(A),
      tier: 'hot',
      embedder_model: 'fnv1a-words-trigrams-v1',
      ingested_at: expect.stringMatching(/Z$/),
    });
  });

  it('counts every system per tier, sorted, with totals', async () => {
    const { status, body } = await get<SystemsResponse>('/api/v1/systems');
    expect(status).toBe(200);
    expect(SystemsResponse.parse(body)).toEqual({
      systems: [
        { system_id: A, shard: shardOf(A), hot: 3, warm: 0, cold: 0, total: 3 },
        { system_id: B, shard: shardOf(B), hot: 2, warm: 0, cold: 0, total: 2 },
      ],
      totals: { hot: 5, warm: 0, cold: 0 },
    });
  });

  it('finds a memory in warm and in cold once aged, with the summary as content', async () => {
    await ageSystemA();
    const warm = await get('/api/v1/memories/rest-host-a/a-warm');
    expect(warm.status).toBe(200);
    expect(Memory.strict().parse(warm.body)).toMatchObject({
      id: 'a-warm',
      tier: 'warm',
      summary: true,
      shard: shardOf(A),
      upload_id: 'rest-a-1',
    });
    const content = String(warm.body.content);
    expect(text('warm summaries').startsWith(content)).toBe(true);
    expect(content.length).toBeLessThan(text('warm summaries').length);

    const cold = await get('/api/v1/memories/rest-host-a/a:cold.1');
    expect(cold.status).toBe(200);
    expect(Memory.strict().parse(cold.body)).toMatchObject({
      id: 'a:cold.1',
      kind: 'reflection',
      tier: 'cold',
      summary: true,
      shard: shardOf(A),
      timestamp: expect.stringMatching(/Z$/),
    });
    // the hot one is still there, unchanged
    expect((await get('/api/v1/memories/rest-host-a/a-new')).body).toMatchObject({ tier: 'hot' });
  });

  it('counts the moved records in their tiers, and filters by system_id', async () => {
    const all = await get<SystemsResponse>('/api/v1/systems');
    expect(all.body).toEqual({
      systems: [
        { system_id: A, shard: shardOf(A), hot: 1, warm: 1, cold: 1, total: 3 },
        { system_id: B, shard: shardOf(B), hot: 2, warm: 0, cold: 0, total: 2 },
      ],
      totals: { hot: 3, warm: 1, cold: 1 },
    });
    const one = await get<SystemsResponse>(`/api/v1/systems?system_id=${A}`);
    expect(one.body).toEqual({
      systems: [all.body.systems[0]],
      totals: { hot: 1, warm: 1, cold: 1 },
    });
    const none = await get('/api/v1/systems?system_id=nobody');
    expect(none.body).toEqual({ systems: [], totals: { hot: 0, warm: 0, cold: 0 } });
  });

  it('answers 404 for a record no tier holds', async () => {
    for (const path of ['/api/v1/memories/rest-host-a/missing', '/api/v1/memories/nobody/a-new']) {
      const { status, body } = await get(path);
      expect({ path, status, body }).toEqual({ path, status: 404, body: { error: 'not_found' } });
    }
  });

  it('answers 400 with the issues for a bad system_id or id', async () => {
    const cases: [string, string[]][] = [
      ['/api/v1/memories/a.b/a-new', ['system_id']],
      ['/api/v1/memories/rest-host-a/a%20b', ['id']],
      ['/api/v1/memories/rest-host-a/a/b', ['id']],
      ['/api/v1/memories/rest-host-a', ['id']],
      [`/api/v1/memories/rest-host-a/${'i'.repeat(129)}`, ['id']],
      [`/api/v1/memories/${'s'.repeat(101)}/a-new`, ['system_id']],
      ['/api/v1/memories/a.b/a%20b', ['id', 'system_id']],
      ['/api/v1/systems?system_id=a.b', ['system_id']],
    ];
    for (const [path, fields] of cases) {
      const { status, body } = await get<{ error: string; issues: { path: string }[] }>(path);
      expect({ path, status, error: body.error }).toEqual({
        path,
        status: 400,
        error: 'invalid_request',
      });
      expect(body.issues.map((i) => i.path).sort()).toEqual(fields);
    }
    // the longest valid id is accepted (the router alone would refuse it: 414)
    expect((await get(`/api/v1/memories/rest-host-a/${'i'.repeat(128)}`)).status).toBe(404);
  });

  it('reports streams, durable consumers and leases, and their numbers move with traffic', async () => {
    const status = async () => {
      const { status: code, body } = await get<StatusResponse>('/api/v1/status');
      expect(code).toBe(200);
      return StatusResponse.parse(body);
    };
    const stream = (s: StatusResponse, name: string) => {
      const found = s.streams.find((x) => x.name === name);
      if (!found?.exists) throw new Error(`stream ${name} missing`);
      return found;
    };
    const consumer = (s: StatusResponse, streamName: string, name: string) =>
      stream(s, streamName).consumers.find((c) => c.name === name)!;
    const writerB = writerConsumerName(groupOfShard(shardOf(B), 16));

    const before = await status();
    expect(before.streams.map((s) => s.name)).toEqual(Object.values(STREAM));
    expect(before.readiness).toMatchObject({ ready: true, roles: ['ingest', 'writer', 'api'] });
    const embedded = stream(before, STREAM.embedded);
    expect(embedded.consumers.map((c) => c.name)).toEqual(
      Array.from({ length: 16 }, (_, g) => writerConsumerName(g)),
    );
    expect(embedded.consumer_count).toBe(16);
    expect(stream(before, STREAM.uploads)).toMatchObject({ messages: 2, last_seq: 2 });
    expect(consumer(before, STREAM.uploads, 'ingest')).toMatchObject({
      num_pending: 0,
      delivered_stream_seq: 2,
    });
    expect(before.writer.leases.map((l) => l.group)).toEqual(
      Array.from({ length: 16 }, (_, g) => g),
    );
    expect(before.writer.hot_shards).toEqual([shardOf(A), shardOf(B)].sort((x, y) => x - y));
    expect(before.writer.warm_shards).toEqual([shardOf(A)]);

    await publish(B, 'rest-b-2', [record('b-3', text('status numbers'))]);
    const after = await waitFor(status, {
      until: (s) => stream(s, STREAM.ingested).messages === 3,
      what: 'the third upload ingested',
    });
    expect(stream(after, STREAM.uploads)).toMatchObject({ messages: 3, last_seq: 3 });
    expect(consumer(after, STREAM.uploads, 'ingest').delivered_stream_seq).toBe(3);
    expect(consumer(after, STREAM.embedded, writerB).delivered_stream_seq).toBeGreaterThan(
      consumer(before, STREAM.embedded, writerB).delivered_stream_seq,
    );
    expect(stream(after, STREAM.embedded).last_seq).toBeGreaterThan(
      stream(before, STREAM.embedded).last_seq,
    );
  });

  it('serves an OpenAPI 3.1 document that lists every registered route', async () => {
    const { status, body } = await get<{
      openapi: string;
      info: Json;
      paths: Record<string, Record<string, Json>>;
      components: { schemas: Record<string, Json> };
    }>('/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(body.info).toMatchObject({ title: 'Akosha', version: expect.any(String) });

    // every $ref resolves
    const refs = [...JSON.stringify(body).matchAll(/"#\/components\/schemas\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(20);
    for (const [, name] of refs) expect(body.components.schemas).toHaveProperty([name]);
    // request schemas come from the routes' zod schemas
    expect(body.components.schemas.SearchRequest).toMatchObject({
      required: ['query'],
      properties: { limit: { default: 10, minimum: 1, maximum: 1000 } },
    });

    // the same routes as the running server: an app built from the pipeline's parts
    const app = buildHttpServer({
      js: nats.js,
      maxPayloadBytes: 1 << 20,
      metrics: pipeline.metrics,
      embedder: pipeline.embedder,
      store: pipeline.store,
      mover: pipeline.mover,
      readiness: () => pipeline.readiness(),
    });
    await app.ready();
    const routes = registeredRoutes(app);
    await app.close();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const documented = Object.entries(body.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })),
    );
    const undocumented = routes.filter(
      (r) => !documented.some((d) => d.method === r.method && routeMatchesPath(r.url, d.path)),
    );
    expect(undocumented).toEqual([]);
    const unserved = documented.filter(
      (d) => !routes.some((r) => d.method === r.method && routeMatchesPath(r.url, d.path)),
    );
    expect(unserved).toEqual([]);
    for (const path of ['/api/v1/memories/{system_id}/{id}', '/api/v1/systems', '/mcp'])
      expect(body.paths).toHaveProperty([path]);
  });

  it('answers a search with exactly the fields its OpenAPI schema documents', async () => {
    const res = await post(base, '/api/v1/search', { query: 'fresh hot records', limit: 3 });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Json & { results: Json[] };
    const documented = (
      await get<{ components: { schemas: Record<string, SchemaOf> } }>('/api/v1/openapi.json')
    ).body.components.schemas;
    const fieldsOf = (schema: SchemaOf) => Object.keys(schema.properties).sort();
    expect(Object.keys(answer).sort()).toEqual(fieldsOf(documented.SearchResponse!));
    expect(answer.results.length).toBeGreaterThan(0);
    for (const hit of answer.results) {
      for (const field of documented.SearchHit!.required) expect(hit).toHaveProperty([field]);
      expect(fieldsOf(documented.SearchHit!)).toEqual(expect.arrayContaining(Object.keys(hit)));
    }
  });
});

describe('query REST endpoints in a process without shards', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['api']);
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('answers 503 no_shards for memories and systems, and still reports status', async () => {
    const base = pipeline.httpAddress!;
    for (const path of ['/api/v1/memories/some-host/some-id', '/api/v1/systems']) {
      const { status, body } = await getJson(base, path);
      expect({ path, status, body }).toMatchObject({
        path,
        status: 503,
        body: { error: 'no_shards' },
      });
    }
    const { status, body } = await getJson<StatusResponse>(base, '/api/v1/status');
    expect(status).toBe(200);
    expect(StatusResponse.parse(body).writer).toEqual({
      hot_shards: [],
      warm_shards: [],
      leases: [],
    });
    expect(body.streams.every((s) => s.exists)).toBe(true);
  });
});
