import type { Pipeline } from '../../app/pipeline';
import type { SearchResponse } from '../../api/search';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { TestRedisServer } from '../helpers/redis';
import { startTestS3Process, type TestS3Process } from '../helpers/s3';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEMS = Array.from({ length: 12 }, (_, i) => `search-host-${i}`);
// generous: on a loaded 2-core machine a cold read can take most of a second
const PART_TIMEOUT_MS = 1500;
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** Per system: a fresh record (hot), a month-old one (warm) and an old one (cold). */
const memoriesOf = (system: string, n: number) => [
  record(`${system}-new`, `fresh note ${n} about replay tooling`, {
    timestamp: daysAgo(1),
    kind: 'conversation',
    project: n % 2 ? 'odd' : 'even',
  }),
  record(`${system}-warm`, `month old note ${n} about warm summaries`, {
    timestamp: daysAgo(30),
    kind: 'reflection',
    project: n % 2 ? 'odd' : 'even',
  }),
  record(`${system}-cold`, `old note ${n} about parquet objects`, {
    timestamp: daysAgo(200),
    kind: 'conversation',
    project: n % 2 ? 'odd' : 'even',
  }),
];

describe('search over every shard and tier, with partial answers and the query cache', () => {
  let nats: TestNats;
  let s3: TestS3Process;
  let redis: TestRedisServer;
  let pipeline: Pipeline;
  let uploads = 0;

  const search = async (body: Record<string, unknown>) => {
    const res = await post(pipeline.httpAddress!, '/api/v1/search', body);
    return { status: res.status, body: (await res.json()) as SearchResponse };
  };
  const ingestedEvents = () => streamMessageCount(nats.nc, STREAM.ingested);
  const ingest = async (system: string, records: ReturnType<typeof record>[]) => {
    const before = await ingestedEvents();
    await publishUpload(nats.js, upload(system, `up-${uploads++}`, records), {
      maxPayloadBytes: 1 << 20,
    });
    await waitFor(ingestedEvents, { until: (n) => n === before + 1, what: 'ingest' });
  };
  const age = async (tier: 'hot' | 'warm', done: () => Promise<boolean>) => {
    const event = { schema_version: 1, tier, requested_at: new Date().toISOString() };
    nats.nc.publish(`akosha.aging.${tier}`, JSON.stringify(event));
    await waitFor(done, { until: Boolean, what: `${tier} aging pass` });
  };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    [nats, s3, redis] = await Promise.all([
      startTestNats(),
      startTestS3Process(),
      TestRedisServer.start(),
    ]);
    const config = testConfig(nats.url, {
      AKOSHA_COLD_S3_BUCKET: s3.bucket,
      AKOSHA_COLD_S3_ENDPOINT: s3.endpoint,
      AKOSHA_SEARCH_PART_TIMEOUT_MS: String(PART_TIMEOUT_MS),
      AKOSHA_REDIS_URL: redis.url,
    });
    pipeline = await startTestPipeline(config, ['ingest', 'writer', 'api']);
    for (const [n, system] of SYSTEMS.entries()) await ingest(system, memoriesOf(system, n));
    const warmCount = () => pipeline.mover!.warm.count();
    await age('hot', async () => (await warmCount()) === 2 * SYSTEMS.length);
    await age('warm', async () => (await warmCount()) === SYSTEMS.length);
  }, 60_000);
  afterAll(async () => {
    await pipeline.close();
    await Promise.all([nats.stop(), s3.stop(), redis.stop()]);
  });

  it('finds hot and warm records of every shard, and cold ones of a named system', async () => {
    const all = await search({ query: 'note about replay tooling', limit: 1000, threshold: -1 });
    expect(all.status).toBe(200);
    expect(all.body.partial).toBe(false);
    const tiers = new Map(all.body.results.map((h) => [h.id, h.tier]));
    for (const system of SYSTEMS) {
      expect(tiers.get(`${system}-new`)).toBe('hot');
      expect(tiers.get(`${system}-warm`)).toBe('warm');
      expect(tiers.has(`${system}-cold`)).toBe(false); // cold only for a named system
    }
    expect(new Set(all.body.results.map((h) => h.shard)).size).toBe(
      new Set(SYSTEMS.map(shardOf)).size,
    );
    const one = await search({ query: 'old note 3 about parquet objects', system_id: SYSTEMS[3] });
    expect(one.body.results[0]).toMatchObject({ id: `${SYSTEMS[3]}-cold`, tier: 'cold' });
    expect(one.body.results.map((h) => h.id).sort()).toEqual(
      ['cold', 'new', 'warm'].map((t) => `${SYSTEMS[3]}-${t}`),
    );
  });

  it('filters by project, kind and time range in every tier', async () => {
    const q = { query: 'note', limit: 1000, threshold: -1 };
    const odd = await search({ ...q, project: 'odd' });
    expect(odd.body.results.length).toBe(SYSTEMS.length); // 6 systems × hot + warm
    expect(odd.body.results.every((h) => h.project === 'odd')).toBe(true);
    const reflections = await search({ ...q, kind: 'reflection' });
    expect(reflections.body.results.map((h) => h.tier)).toEqual(SYSTEMS.map(() => 'warm'));
    const recent = await search({ ...q, since: daysAgo(10) });
    expect(recent.body.results.every((h) => h.id.endsWith('-new'))).toBe(true);
    const older = await search({ ...q, until: daysAgo(10), system_id: SYSTEMS[0] });
    expect(older.body.results.map((h) => h.id).sort()).toEqual([
      `${SYSTEMS[0]}-cold`,
      `${SYSTEMS[0]}-warm`,
    ]);
  });

  it('answers within the timeout when the cold store hangs, flagging that shard, and does not cache it', async () => {
    const system = SYSTEMS[5]!;
    const query = { query: 'old note 5 about parquet objects', system_id: system };
    s3.pause();
    try {
      const started = Date.now();
      const stuck = await search(query);
      expect(Date.now() - started).toBeLessThan(PART_TIMEOUT_MS + 1500);
      expect(stuck.body.partial).toBe(true);
      expect(stuck.body.failed).toEqual([
        expect.objectContaining({ tier: 'cold', shard: shardOf(system), reason: 'timeout' }),
      ]);
      expect(stuck.body.results.map((h) => h.tier).sort()).toEqual(['hot', 'warm']);
    } finally {
      s3.resume();
    }
    // the request S3 got while paused is answered first; then whole answers come back
    const whole = await waitFor(() => search(query), {
      until: (r) => r.body.partial === false,
      what: 'a whole answer once S3 is back',
    });
    expect(whole.body).toMatchObject({ partial: false, failed: [], cache: 'miss' });
    expect(whole.body.results[0]).toMatchObject({ id: `${system}-cold`, tier: 'cold' });
  });

  it('serves a repeated query from the cache until an ingest of its system', async () => {
    const system = SYSTEMS[7]!;
    const query = { query: 'brand new note about caches', system_id: system };
    const everywhere = { query: 'brand new note about caches' };
    expect((await search(query)).body.cache).toBe('miss');
    expect((await search(everywhere)).body.cache).toBe('miss');
    const again = await search(query);
    expect(again.body.cache).toBe('hit');
    expect(again.body.results.some((h) => h.id === `${system}-cache`)).toBe(false);

    await ingest(system, [record(`${system}-cache`, 'brand new note about caches')]);
    for (const q of [query, everywhere]) {
      const fresh = await waitFor(() => search(q), {
        until: (r) => r.body.cache === 'miss',
        what: 'invalidation',
      });
      expect(fresh.body.results[0]).toMatchObject({
        id: `${system}-cache`,
        similarity: expect.closeTo(1, 6),
      });
    }
    const other = { query: 'brand new note about caches', system_id: SYSTEMS[8] };
    expect((await search(other)).body.cache).toBe('miss');
    expect((await search(other)).body.cache).toBe('hit');
  });

  it('stays correct with Redis stopped', async () => {
    const system = SYSTEMS[9]!;
    const query = { query: 'note written while redis is down', system_id: system };
    await redis.kill();
    const before = await search(query);
    expect(before.status).toBe(200);
    expect(before.body.results.some((h) => h.id === `${system}-down`)).toBe(false);
    await ingest(system, [record(`${system}-down`, 'note written while redis is down')]);
    const after = await waitFor(() => search(query), {
      until: (r) => r.body.results[0]?.id === `${system}-down`,
      what: 'the new record',
    });
    expect(after.body.partial).toBe(false);
    await redis.restart();
  });

  it('rejects bad requests with 400 and the reason', async () => {
    const bad = [
      { query: '' },
      { query: 'x'.repeat(10_001) },
      { query: 'q', limit: 0 },
      { query: 'q', limit: 1001 },
      { query: 'q', threshold: 1.5 },
      { query: 'q', system_id: 'bad id!' },
      { query: 'q', kind: 'dream' },
      { query: 'q', since: 'yesterday' },
      { query: 'q', since: daysAgo(1), until: daysAgo(2) },
    ];
    for (const body of bad) {
      const res = await search(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    }
  });
});
