import type { EndpointSources } from '../../../api/remote/endpoint-handlers';
import type { SearchCall } from '../../../api/remote/protocol';
import { QueryCallError, QueryClient } from '../../../api/remote/query-client';
import { QueryEndpoint, type EndpointTiming } from '../../../api/remote/query-endpoint';
import { SearchReplyShape, type SearchReply } from '../../../api/remote/replies';
import type { SearchHit, SearchResponse, VectorSearch } from '../../../api/search';
import { encodeVector } from '../../../embedding/vector';
import { createLogger } from '../../../infra/logger';
import type { HotStore } from '../../../storage/hot-store';
import { subjects, writerToken } from '../../../streams/subjects';
import { startTestNats, type TestNats } from '../../helpers/nats';

const MODEL = 'wire-test-model';
const DIM = 384;
const OWNER = 'wire-host:/data/hot';

/** Hits as a writer's search gives them, with every field a result shows. */
const hitsOf = (n: number, text: string): SearchHit[] =>
  Array.from({ length: n }, (_, i) => ({
    system_id: `sys-${i % 3}`,
    id: `rec-${i}`,
    kind: 'conversation',
    content: `${text} ${i}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    project: i % 2 ? null : 'p1',
    tags: ['a', 'b'],
    metadata: { n: i, nested: { ok: true } },
    upload_id: `up-${i}`,
    similarity: 1 - i / 100,
    shard: i,
    tier: 'hot',
    ...(i === 0 && { passage: { index: 1, start: 3, end: 9 } }),
  }));

/** The writer's own search, answering a fixed list: what goes over the wire is the subject. */
class FixedSearch implements VectorSearch {
  constructor(public hits: SearchHit[]) {}
  async searchVector(): Promise<SearchResponse> {
    const failed = [{ tier: 'warm' as const, shard: 7, reason: 'timeout' as const, message: 'x' }];
    const embedder = { name: 'test', model: MODEL, dim: DIM };
    const base = { query: 'q', cache: 'off' as const, embedder, took_ms: 1, partial: true };
    return { ...base, results: this.hits, total: this.hits.length, failed };
  }
}

const callOf = (vector: Float32Array): SearchCall => ({
  model: MODEL,
  vector: encodeVector(vector),
  request: { query: 'q', limit: 10 },
  scope: '*',
});

describe('the search endpoint over the wire', () => {
  let nats: TestNats;
  let endpoint: QueryEndpoint;
  const search = new FixedSearch(hitsOf(10, 'plain text'));
  const timings: EndpointTiming[] = [];
  const subject = subjects.query(writerToken(OWNER), 'search');
  const maxReplyBytes = 8 * 1024;

  beforeAll(async () => {
    nats = await startTestNats();
    const sources: EndpointSources = {
      owner: OWNER,
      groups: [0],
      shards: new Set([0]),
      search,
      embedder: { model: MODEL, dim: DIM },
      store: {} as HotStore, // the search endpoint reads only `search`
      ready: () => true,
    };
    const log = createLogger('silent');
    const observe = (t: EndpointTiming) => timings.push(t);
    endpoint = new QueryEndpoint({ nc: nats.nc, sources, maxReplyBytes, log, observe });
    await endpoint.start();
  }, 30_000);

  afterAll(async () => {
    await endpoint?.stop();
    await nats?.stop();
  });

  beforeEach(() => {
    timings.length = 0;
  });

  it('brings a search reply back unchanged and reports its steps', async () => {
    search.hits = hitsOf(10, 'plain text');
    const client = new QueryClient(nats.nc, 5000);
    const vector = new Float32Array(DIM).fill(0.05);
    const reply = await client.call(subject, JSON.stringify(callOf(vector)), SearchReplyShape);
    expect(reply).toEqual({
      results: search.hits,
      failed: [{ tier: 'warm', shard: 7, reason: 'timeout', message: 'x' }],
    });
    expect(timings).toEqual([
      {
        endpoint: 'search',
        parseMs: expect.any(Number),
        runMs: expect.any(Number),
        replyMs: expect.any(Number),
      },
    ]);
  });

  it('cuts a reply to max_payload by its UTF-8 bytes, not its characters', async () => {
    // 2 bytes per character: 10 hits of ~660 characters fit by length, not by bytes
    search.hits = hitsOf(10, 'é'.repeat(400));
    const client = new QueryClient(nats.nc, 5000);
    const body = JSON.stringify(callOf(new Float32Array(DIM).fill(0.05)));
    const reply = await client.call(subject, body, SearchReplyShape);
    expect(reply.cut).toBe(5);
    expect(reply.results).toEqual(search.hits.slice(0, 5));
  });

  it('refuses a vector with a non-finite number as invalid_request', async () => {
    const vector = new Float32Array(DIM).fill(0.05);
    vector[17] = Number.NaN;
    const reply = await nats.nc.request(subject, JSON.stringify(callOf(vector)), {
      timeout: 5000,
    });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.json()).toEqual({ error: 'invalid_request', message: expect.any(String) });
    expect(timings).toEqual([]);
  });
});

describe('the search reply check', () => {
  const good = (): SearchReply => ({ results: hitsOf(2, 't'), failed: [], cut: 1 });

  it('accepts a reply as a writer sends it, unchanged', () => {
    const reply = JSON.parse(JSON.stringify(good())) as unknown;
    expect(SearchReplyShape.safeParse(reply)).toEqual({ success: true, data: good() });
  });

  it.each([
    ['no object', 'text'],
    ['null', null],
    ['results not a list', { results: {}, failed: [] }],
    ['no failed', { results: [] }],
    ['a hit without system_id', replyWithout('system_id')],
    ['a hit without id', replyWithout('id')],
    ['a hit without similarity', replyWithout('similarity')],
    ['a hit without shard', replyWithout('shard')],
    ['a hit of an unknown tier', { results: [{ ...hitsOf(1, 't')[0], tier: 'cool' }], failed: [] }],
    ['a similarity as text', { results: [{ ...hitsOf(1, 't')[0], similarity: '1' }], failed: [] }],
    [
      'a failed part without message',
      { results: [], failed: [{ tier: 'hot', shard: 1, reason: 'error' }] },
    ],
    [
      'a failed part of another reason',
      { results: [], failed: [{ tier: 'hot', shard: 1, reason: 'late', message: 'm' }] },
    ],
    ['a fractional cut', { results: [], failed: [], cut: 1.5 }],
  ])('refuses %s', (_name, reply) => {
    expect(SearchReplyShape.safeParse(reply).success).toBe(false);
  });
});

describe('a reply of another shape over NATS', () => {
  let nats: TestNats;

  beforeAll(async () => {
    nats = await startTestNats();
  }, 30_000);
  afterAll(async () => {
    await nats?.stop();
  });

  it.each([
    ['not JSON', 'not json'],
    ['a hit without similarity', JSON.stringify(replyWithout('similarity'))],
  ])('is a bad_reply error of that writer (%s)', async (_name, body) => {
    const stray = nats.nc.subscribe('stray.search', {
      callback: (_err, msg) => void msg.respond(body),
    });
    try {
      const client = new QueryClient(nats.nc, 5000);
      const failure = await client.call('stray.search', '{}', SearchReplyShape).catch((e) => e);
      expect(failure).toBeInstanceOf(QueryCallError);
      expect(failure).toMatchObject({ reason: 'error', code: 'bad_reply', status: 502 });
    } finally {
      stray.unsubscribe();
    }
  });
});

/** A reply whose one hit lacks `key`. */
function replyWithout(key: string): unknown {
  const hit = Object.fromEntries(Object.entries(hitsOf(1, 't')[0]!).filter(([k]) => k !== key));
  return { results: [hit], failed: [] };
}
