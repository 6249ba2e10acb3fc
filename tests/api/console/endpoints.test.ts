import type { Pipeline } from '../../../app/pipeline';
import { CacheStats, TiersResponse, WhoAmI } from '../../../api/openapi/console-schemas';
import { SystemsResponse } from '../../../api/openapi/responses';
import { EMBEDDING_DIM } from '../../../schemas/record';
import { sizesBySystem } from '../../../storage/tiers/tier-sizes';
import { getJson, post } from '../../helpers/http';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { startTestPipeline, testConfig } from '../../helpers/pipeline';
import { waitFor } from '../../helpers/wait-for';
import { call, startAuthServer, type AuthServer } from '../auth/auth-server';
import { ageMemories, seedMemories, SYSTEMS } from '../../console/seed';

const TIERS = ['hot', 'warm', 'cold'] as const;
const tierOf = (days: number) => (days < 7 ? 'hot' : days < 90 ? 'warm' : 'cold');

/** Records each seeded system holds per tier once aged, and the UTF-8 bytes of their texts. */
function expectedRecords() {
  return Object.entries(SYSTEMS).map(([system_id, rows]) => {
    const records = { hot: 0, warm: 0, cold: 0 };
    let hotText = 0;
    for (const [, text, days] of rows) {
      records[tierOf(days)] += 1;
      if (tierOf(days) === 'hot') hotText += Buffer.byteLength(text);
    }
    return { system_id, records, hotText };
  });
}

describe('the console data routes in one process (no authentication: loopback is admin)', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  let base: string;

  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer', 'api']);
    base = pipeline.httpAddress!;
    await seedMemories(nats);
    await ageMemories(pipeline);
  }, 60_000);
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  it('counts records and bytes per tier and system, as /api/v1/systems counts records', async () => {
    const { status, body } = await getJson(base, '/api/v1/tiers');
    expect(status).toBe(200);
    const tiers = TiersResponse.strict().parse(body);
    const counts = SystemsResponse.parse((await getJson(base, '/api/v1/systems')).body);
    for (const expected of expectedRecords()) {
      const sys = tiers.systems.find((s) => s.system_id === expected.system_id)!;
      const counted = counts.systems.find((s) => s.system_id === expected.system_id)!;
      for (const tier of TIERS) {
        expect(sys[tier].records).toBe(expected.records[tier]);
        expect(sys[tier].records).toBe(counted[tier]);
        expect(sys[tier].bytes > 0).toBe(sys[tier].records > 0);
      }
      // hot: text and metadata ('{}') and a float vector per record
      const perRecord = 2 + 4 * EMBEDDING_DIM;
      expect(sys.hot.bytes).toBe(expected.hotText + sys.hot.records * perRecord);
    }
    for (const tier of TIERS) {
      const sum = (f: 'records' | 'bytes') => tiers.systems.reduce((n, s) => n + s[tier][f], 0);
      expect(tiers.tiers[tier]).toMatchObject({ records: sum('records'), bytes: sum('bytes') });
    }
    // the files: DuckDB shard files hold more than the records' data; cold is the objects
    expect(tiers.tiers.hot.disk_bytes).toBeGreaterThan(tiers.tiers.hot.bytes);
    expect(tiers.tiers.warm.disk_bytes).toBeGreaterThan(0);
    expect(tiers.tiers.cold.disk_bytes).toBe(tiers.tiers.cold.bytes);
  });

  it('limits the answer to one system, without the files of every system', async () => {
    const { body } = await getJson(base, '/api/v1/tiers?system_id=ci-runner-03');
    const one = TiersResponse.strict().parse(body);
    expect(one.systems.map((s) => s.system_id)).toEqual(['ci-runner-03']);
    expect(one.tiers.cold).toEqual({ records: 1, bytes: one.systems[0]!.cold.bytes });
    for (const query of ['?system_id=a.b', '?tier=hot'])
      expect((await getJson(base, `/api/v1/tiers${query}`)).status).toBe(400);
  });

  it("reports the query cache's lookups and hit ratio", async () => {
    const before = CacheStats.strict().parse((await getJson(base, '/api/v1/cache')).body);
    for (let i = 0; i < 3; i++)
      expect((await post(base, '/api/v1/search', { query: 'lease renewal' })).status).toBe(200);
    const after = CacheStats.strict().parse((await getJson(base, '/api/v1/cache')).body);
    expect(after.lookups - before.lookups).toBe(3);
    expect(after.hits - before.hits).toBe(2);
    expect(after.hit_ratio).toBeCloseTo(after.hits / after.lookups);
    expect(after.layers.l1.hits + after.layers.l1.misses).toBe(after.lookups);
  });

  it('tells who is calling', async () => {
    const { body } = await getJson(base, '/api/v1/whoami');
    expect(WhoAmI.strict().parse(body)).toEqual({
      name: 'loopback',
      role: 'admin',
      systems: '*',
      via: 'loopback',
    });
  });
});

describe('the tiers of writers in other processes, asked over NATS', () => {
  let nats: TestNats;
  let writer: Pipeline;
  let api: Pipeline;

  beforeAll(async () => {
    nats = await startTestNats();
    writer = await startTestPipeline(testConfig(nats.url), ['writer']);
    api = await startTestPipeline(testConfig(nats.url), ['ingest', 'api']);
    await waitFor(async () => (await getJson(api.httpAddress!, '/api/v1/systems')).status, {
      until: (status) => status === 200,
      what: 'the writer answering the API',
      timeoutMs: 30_000,
    });
    await seedMemories(nats);
    await ageMemories(writer);
  }, 90_000);
  afterAll(async () => {
    await api.close();
    await writer.close();
    await nats.stop();
  });

  it('sums every writer: the same records and bytes as the writer holds', async () => {
    const { status, body } = await getJson(api.httpAddress!, '/api/v1/tiers');
    expect(status).toBe(200);
    const tiers = TiersResponse.strict().parse(body);
    expect(tiers.partial).toBeUndefined();
    const held = await sizesBySystem(writer.store!, writer.mover);
    for (const expected of expectedRecords()) {
      const sys = tiers.systems.find((s) => s.system_id === expected.system_id)!;
      const { system_id: _, shard: __, ...sizes } = sys;
      expect(sizes).toEqual(held.systems.get(expected.system_id));
      for (const tier of TIERS) expect(sys[tier].records).toBe(expected.records[tier]);
    }
    expect(tiers.tiers.hot.disk_bytes).toBe(held.diskBytes.hot);
    expect(tiers.tiers.hot.disk_bytes).toBeGreaterThan(tiers.tiers.hot.bytes);
    expect(tiers.tiers.cold.disk_bytes).toBe(tiers.tiers.cold.bytes);
  });
});

describe('the console data routes with authentication', () => {
  const SCOPED = { name: 'reader-ci', role: 'reader' as const, systems: ['ci-runner-03'] };
  let server: AuthServer;

  beforeAll(async () => {
    server = await startAuthServer({}, [SCOPED]);
    await seedMemories(server.nats);
  }, 60_000);
  afterAll(() => server.close());

  it('shows a scoped reader its systems only, their sums, and no files', async () => {
    const token = server.token(SCOPED);
    const res = await call(server.base, 'GET', '/api/v1/tiers', token);
    const tiers = TiersResponse.strict().parse(await res.json());
    expect(tiers.systems.map((s) => s.system_id)).toEqual(['ci-runner-03']);
    expect(tiers.tiers.hot).toEqual({ records: 4, bytes: tiers.systems[0]!.hot.bytes });
    const other = await call(server.base, 'GET', '/api/v1/tiers?system_id=build-host-7', token);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'forbidden', system: 'build-host-7' });
    const who = await call(server.base, 'GET', '/api/v1/whoami', token);
    expect(await who.json()).toEqual({ ...SCOPED, via: 'token' });
  });
});
