import pino from 'pino';
import { Registry } from 'prom-client';
import { canonicalJson, requestHash } from '../../api/cache-key';
import { systemsOfEvent, watchIngestForCache } from '../../api/cache-invalidation';
import { QueryCache, type QueryCacheOptions } from '../../api/query-cache';
import { loadConfig } from '../../infra/config';
import { createLogger, type Logger } from '../../infra/logger';
import { createMetrics, type Metrics } from '../../infra/metrics';
import { startTestNats, type TestNats } from '../helpers/nats';
import {
  TEST_REDIS_URL,
  TestRedisServer,
  deleteKeysUnder,
  keysUnder,
  uniquePrefix,
} from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

interface Answer {
  answer: string;
}

const quiet = createLogger('silent');
const prefixes = new Set<{ url: string; prefix: string }>();
const caches: QueryCache<Answer>[] = [];

const req = (query: string, extra: Record<string, unknown> = {}) => ({
  query,
  limit: 10,
  ...extra,
});
const S = 'system-s';
const T = 'system-t';

/** A cache as another process would have it: own L1 and metrics, shared Redis namespace. */
function newCache(prefix: string, overrides: Partial<QueryCacheOptions> = {}) {
  const metrics = createMetrics(new Registry());
  const url = overrides.redisUrl === undefined ? TEST_REDIS_URL : overrides.redisUrl;
  const cache = new QueryCache<Answer>({
    enabled: true,
    redisUrl: url,
    l1Entries: 1000,
    ttlSeconds: 60,
    prefix,
    // a loaded test machine can take over 100 ms (the default) for one call; still under fast()'s bound
    redisTimeoutMs: 400,
    log: quiet,
    metrics,
    ...overrides,
  });
  caches.push(cache);
  if (url) prefixes.add({ url, prefix });
  return { cache, metrics };
}

/** Waits until the cache has connected to Redis (it connects in the background). */
async function connected(...list: QueryCache<Answer>[]): Promise<void> {
  for (const cache of list) await waitFor(() => cache.sync(), { what: 'redis connection' });
}

async function counter(metrics: Metrics, layer: string, outcome: string): Promise<number> {
  const { values } = await metrics.queryCacheRequests.get();
  return values.find((v) => v.labels.layer === layer && v.labels.outcome === outcome)?.value ?? 0;
}

async function hitRatio(metrics: Metrics): Promise<number> {
  return (await metrics.queryCacheHitRatio.get()).values[0]?.value ?? NaN;
}

/** Runs a call and fails when it takes a second or more (Redis down must never hang us). */
async function fast<R>(call: () => Promise<R>): Promise<R> {
  const started = performance.now();
  const result = await call();
  expect(performance.now() - started).toBeLessThan(1000);
  return result;
}

function capturedLogger(): { log: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { log, lines };
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  for (const { url, prefix } of prefixes) {
    if (url === TEST_REDIS_URL) await deleteKeysUnder(url, prefix);
  }
});

describe('cache config', () => {
  it('defaults to on, with the local Redis, and reads an empty URL as L1 only', () => {
    expect(loadConfig({}).cache).toEqual({
      enabled: true,
      redisUrl: 'redis://127.0.0.1:6379',
      l1Entries: 10_000,
      ttlSeconds: 300,
      prefix: 'akosha:qc',
      redisPassword: '',
      redisTlsCa: '',
      maxBytes: 64 * 1024 * 1024,
      maxEntryBytes: 256 * 1024,
    });
    const custom = loadConfig({
      AKOSHA_QUERY_CACHE: 'off',
      AKOSHA_REDIS_URL: '',
      AKOSHA_QUERY_CACHE_ENTRIES: '50',
      AKOSHA_QUERY_CACHE_TTL_S: '7',
    }).cache;
    expect(custom).toMatchObject({ enabled: false, redisUrl: null, l1Entries: 50, ttlSeconds: 7 });
    expect(() => loadConfig({ AKOSHA_QUERY_CACHE: 'yes' })).toThrow(/AKOSHA_QUERY_CACHE/);
  });
});

describe('cache keys', () => {
  it('ignore key order and absent fields, and depend on the scope', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    const hash = requestHash({ query: 'q', limit: 5 }, undefined);
    expect(requestHash({ limit: 5, query: 'q', project: undefined }, undefined)).toBe(hash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash({ query: 'q', limit: 5 }, S)).not.toBe(hash);
    expect(requestHash({ query: 'q', limit: 6 }, undefined)).not.toBe(hash);
  });
});

describe('QueryCache with the shared Redis', () => {
  it('misses, then answers from L1', async () => {
    const { cache, metrics } = newCache(uniquePrefix());
    await connected(cache);
    expect(await cache.get(req('q'), S)).toBeUndefined();
    await cache.set(req('q'), S, { answer: 'a' });
    expect(await cache.get(req('q'), S)).toEqual({ answer: 'a' });
    expect(await cache.get(req('q'), T)).toBeUndefined();
    expect(await counter(metrics, 'l1', 'hit')).toBe(1);
    expect(await counter(metrics, 'l1', 'miss')).toBe(2);
    expect(await counter(metrics, 'l2', 'miss')).toBe(2);
  });

  it('answers another process from L2, then from its own L1', async () => {
    const prefix = uniquePrefix();
    const a = newCache(prefix);
    const b = newCache(prefix);
    await connected(a.cache, b.cache);
    await a.cache.set(req('q', { since: new Date('2026-01-01T00:00:00Z') }), undefined, {
      answer: 'shared',
    });
    const again = req('q', { since: '2026-01-01T00:00:00.000Z' }); // same JSON as the Date
    expect(await b.cache.get(again, undefined)).toEqual({ answer: 'shared' });
    expect(await counter(b.metrics, 'l2', 'hit')).toBe(1);
    expect(await b.cache.get(again, undefined)).toEqual({ answer: 'shared' });
    expect(await counter(b.metrics, 'l1', 'hit')).toBe(1);
  });

  it('invalidating S drops S-scoped and all-systems entries, keeps T-scoped ones', async () => {
    const prefix = uniquePrefix();
    const a = newCache(prefix);
    const b = newCache(prefix);
    await connected(a.cache, b.cache);
    await a.cache.set(req('q'), S, { answer: 's' });
    await a.cache.set(req('q'), T, { answer: 't' });
    await a.cache.set(req('q'), undefined, { answer: 'all' });
    await a.cache.invalidate([S]);
    for (const cache of [a.cache, b.cache]) {
      expect(await cache.get(req('q'), S)).toBeUndefined();
      expect(await cache.get(req('q'), undefined)).toBeUndefined();
      expect(await cache.get(req('q'), T)).toEqual({ answer: 't' });
    }
    expect((await a.metrics.queryCacheInvalidations.get()).values[0]?.value).toBe(1);
  });

  it('an invalidation made by one process reaches entries in the L1 of another', async () => {
    const prefix = uniquePrefix();
    const a = newCache(prefix);
    const b = newCache(prefix);
    await connected(a.cache, b.cache);
    await b.cache.set(req('q'), S, { answer: 'old' });
    await b.cache.set(req('q'), undefined, { answer: 'old-all' });
    expect(await b.cache.get(req('q'), S)).toEqual({ answer: 'old' });
    await a.cache.invalidate([S]);
    expect(await b.cache.get(req('q'), S)).toBeUndefined();
    expect(await b.cache.get(req('q'), undefined)).toBeUndefined();
  });

  it('does not keep a value computed across an invalidation', async () => {
    const { cache } = newCache(uniquePrefix());
    await connected(cache);
    const { value } = await cache.getOrCompute(req('q'), S, async () => {
      await cache.invalidate([S]); // data changed while the search ran
      return { answer: 'computed from old data' };
    });
    expect(value).toEqual({ answer: 'computed from old data' });
    expect(await cache.get(req('q'), S)).toBeUndefined();
    let runs = 0;
    const compute = async () => ({ answer: `run ${++runs}` });
    expect(await cache.getOrCompute(req('q'), S, compute)).toEqual({
      value: { answer: 'run 1' },
      hit: false,
    });
    expect(await cache.getOrCompute(req('q'), S, compute)).toEqual({
      value: { answer: 'run 1' },
      hit: true,
    });
  });

  it('does not keep a value that keep() refuses', async () => {
    const { cache } = newCache(uniquePrefix());
    await connected(cache);
    let runs = 0;
    const compute = async () => ({ answer: `run ${++runs}` });
    const partial = () => false;
    expect((await cache.getOrCompute(req('q'), S, compute, partial)).value.answer).toBe('run 1');
    expect((await cache.getOrCompute(req('q'), S, compute, partial)).value.answer).toBe('run 2');
  });

  it('expires entries in both layers after the TTL', async () => {
    const prefix = uniquePrefix();
    const a = newCache(prefix, { ttlSeconds: 0.3 });
    const b = newCache(prefix, { ttlSeconds: 0.3 });
    await connected(a.cache, b.cache);
    await a.cache.set(req('q'), S, { answer: 'short' });
    expect(await a.cache.get(req('q'), S)).toEqual({ answer: 'short' });
    await new Promise((r) => setTimeout(r, 450));
    expect(await a.cache.get(req('q'), S)).toBeUndefined();
    expect(await b.cache.get(req('q'), S)).toBeUndefined();
    expect(await counter(b.metrics, 'l2', 'miss')).toBe(1);
  });

  it('reports the hit ratio of both layers together', async () => {
    const prefix = uniquePrefix();
    const a = newCache(prefix);
    const b = newCache(prefix);
    await connected(a.cache, b.cache);
    expect(await hitRatio(a.metrics)).toBe(0);
    await a.cache.get(req('q'), S); // miss
    await a.cache.set(req('q'), S, { answer: 'x' });
    await a.cache.get(req('q'), S); // L1 hit
    await a.cache.get(req('q'), S); // L1 hit
    expect(await hitRatio(a.metrics)).toBeCloseTo(2 / 3);
    await b.cache.get(req('q'), S); // L2 hit
    expect(await hitRatio(b.metrics)).toBe(1);
    await b.cache.get(req('other'), S); // miss in both
    expect(await hitRatio(b.metrics)).toBe(0.5);
    const text = await a.metrics.registry.metrics();
    expect(text).toMatch(/akosha_query_cache_hit_ratio 0\.66/);
    expect(text).toMatch(/akosha_query_cache_requests_total\{layer="l1",outcome="hit"\} 2/);
  });

  it('stores nothing and always misses when disabled', async () => {
    const prefix = uniquePrefix();
    const { cache, metrics } = newCache(prefix, { enabled: false });
    let runs = 0;
    const compute = async () => ({ answer: `run ${++runs}` });
    await cache.set(req('q'), S, { answer: 'x' });
    expect(await cache.get(req('q'), S)).toBeUndefined();
    expect((await cache.getOrCompute(req('q'), S, compute)).value).toEqual({ answer: 'run 1' });
    expect((await cache.getOrCompute(req('q'), S, compute)).value).toEqual({ answer: 'run 2' });
    await cache.invalidate([S]);
    expect(await cache.sync()).toBe(false);
    expect(await keysUnder(TEST_REDIS_URL, prefix)).toEqual([]);
    expect(await counter(metrics, 'l1', 'hit')).toBe(0);
  });

  it('works from L1 alone without a Redis URL', async () => {
    const { cache } = newCache(uniquePrefix(), { redisUrl: null });
    await cache.set(req('q'), S, { answer: 'x' });
    await cache.set(req('q'), T, { answer: 'y' });
    expect(await cache.get(req('q'), S)).toEqual({ answer: 'x' });
    await cache.invalidate([S]);
    expect(await cache.get(req('q'), S)).toBeUndefined();
    expect(await cache.get(req('q'), T)).toEqual({ answer: 'y' });
  });
});

describe('QueryCache when Redis goes away', () => {
  let server: TestRedisServer;
  afterEach(async () => server?.stop());

  it('never waits on a Redis that was never there', async () => {
    server = await TestRedisServer.start();
    const url = server.url;
    await server.kill();
    const { cache, metrics } = newCache(uniquePrefix(), { redisUrl: url });
    await fast(() => cache.set(req('q'), S, { answer: 'x' }));
    expect(await fast(() => cache.get(req('q'), S))).toEqual({ answer: 'x' });
    await fast(() => cache.invalidate([S]));
    expect(await fast(() => cache.get(req('q'), S))).toBeUndefined();
    await waitFor(async () => (await metrics.queryCacheErrors.get()).values.length > 0);
    await fast(() => cache.close());
  });

  it('keeps serving and invalidating from L1, and serves nothing stale after a restart', async () => {
    server = await TestRedisServer.start();
    const prefix = uniquePrefix();
    const { log, lines } = capturedLogger();
    const a = newCache(prefix, { redisUrl: server.url, log });
    const b = newCache(prefix, { redisUrl: server.url });
    await connected(a.cache, b.cache);
    await a.cache.invalidate([S]); // generation 1: after the restart the counters pass 1 again
    await a.cache.set(req('q'), S, { answer: 's' });
    await a.cache.set(req('q'), T, { answer: 't' });
    await a.cache.set(req('q'), undefined, { answer: 'all' });
    expect(await b.cache.get(req('q'), S)).toEqual({ answer: 's' }); // now in B's L1 too

    await server.kill('SIGKILL');
    expect(await fast(() => a.cache.get(req('q'), S))).toEqual({ answer: 's' });
    await fast(() => a.cache.set(req('new'), S, { answer: 'during outage' }));
    expect(await fast(() => a.cache.get(req('new'), S))).toEqual({ answer: 'during outage' });
    await fast(() => a.cache.invalidate([S]));
    expect(await fast(() => a.cache.get(req('q'), S))).toBeUndefined();
    expect(await fast(() => a.cache.get(req('new'), S))).toBeUndefined();
    expect(await fast(() => a.cache.get(req('q'), undefined))).toBeUndefined();
    expect(await fast(() => a.cache.get(req('q'), T))).toEqual({ answer: 't' });
    expect(await a.cache.sync()).toBe(false);
    const errors = (await a.metrics.queryCacheErrors.get()).values;
    expect(errors.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThan(0);
    expect(lines.filter((l) => /unreachable/.test(l.msg))).toHaveLength(1);

    await server.restart(); // empty: no persistence
    await connected(a.cache, b.cache);
    expect(lines.filter((l) => /reachable again/.test(l.msg))).toHaveLength(1);
    for (const cache of [a.cache, b.cache]) {
      expect(await cache.get(req('q'), S)).toBeUndefined();
      expect(await cache.get(req('q'), undefined)).toBeUndefined();
    }
    await a.cache.set(req('q'), S, { answer: 'fresh' });
    expect(await b.cache.get(req('q'), S)).toEqual({ answer: 'fresh' });
  });

  it('pushes an invalidation Redis missed once it is back with its old data', async () => {
    server = await TestRedisServer.start({ persistent: true });
    const prefix = uniquePrefix();
    const a = newCache(prefix, { redisUrl: server.url });
    const b = newCache(prefix, { redisUrl: server.url });
    await connected(a.cache, b.cache);
    await a.cache.set(req('q'), S, { answer: 'old' });
    expect(await b.cache.get(req('q'), S)).toEqual({ answer: 'old' });

    await server.kill('SIGKILL');
    await fast(() => a.cache.invalidate([S]));
    await server.restart();
    const entries = async () =>
      (await keysUnder(server.url, prefix)).filter((k) => k.includes(':e:'));
    expect(await entries()).toHaveLength(1); // the old entry survived the restart
    await connected(b.cache);
    // A's lookups and writes reach L2 again (a new entry appears) without any sync() call
    await waitFor(async () => {
      await a.cache.set(req('probe'), T, { answer: 'probe' });
      return (await entries()).length === 2;
    });
    expect(await a.cache.get(req('q'), S)).toBeUndefined();
    expect(await b.cache.get(req('q'), S)).toBeUndefined();
  });
});

describe('watchIngestForCache', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => nats?.stop());

  const event = (systemId: string) => ({
    schema_version: 1,
    upload_id: `20261120_100000_${systemId}`,
    system_id: systemId,
    shard: 0,
    parts: 1,
    counts: { received: 1, stored: 1, duplicate: 0, rejected: 0 },
    record_ids: ['r1'],
    duplicate_ids: [],
    rejected_ids: [],
    ids_truncated: false,
    embedder: { name: 'hashing', model: 'hashing-384', dim: 384 },
    completed_at: '2026-11-20T10:00:00Z',
  });
  const publish = (subject: string, payload: unknown) =>
    nats.nc.publish(subject, typeof payload === 'string' ? payload : JSON.stringify(payload));

  it('invalidates the system of each ingest-complete event', async () => {
    const { cache } = newCache(uniquePrefix());
    await connected(cache);
    const { log, lines } = capturedLogger();
    const stop = watchIngestForCache(nats.nc, cache, log);
    await nats.nc.flush();
    for (const scope of [S, T, 'system-u', undefined]) {
      await cache.set(req('q'), scope, { answer: String(scope) });
    }

    publish(`akosha.ingested.${S}`, event(S));
    await waitFor(() => cache.get(req('q'), S), { until: (v) => v === undefined });
    expect(await cache.get(req('q'), undefined)).toBeUndefined();
    expect(await cache.get(req('q'), T)).toEqual({ answer: T });

    publish(`akosha.ingested.${T}`, 'not json'); // the subject still names the system
    await waitFor(() => cache.get(req('q'), T), { until: (v) => v === undefined });
    publish('akosha.ingested.bad.subject', '{}');
    await waitFor(() => lines.filter((l) => /malformed/.test(l.msg)).length, {
      until: (n) => n === 2,
    });
    expect(await cache.get(req('q'), 'system-u')).toEqual({ answer: 'system-u' });

    await stop();
    publish('akosha.ingested.system-u', event('system-u'));
    await nats.nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(await cache.get(req('q'), 'system-u')).toEqual({ answer: 'system-u' });
  });

  it('gathers the events that arrive during an invalidation into the next one', async () => {
    const calls: string[][] = [];
    const slowCache = {
      invalidate: async (systems: string[]) => {
        calls.push(systems);
        await new Promise((r) => setTimeout(r, 200));
      },
    };
    const stop = watchIngestForCache(nats.nc, slowCache, quiet);
    await nats.nc.flush();
    const systems = Array.from({ length: 40 }, (_, i) => `system-burst-${i}`);
    for (const system of systems) publish(`akosha.ingested.${system}`, event(system));
    await waitFor(() => calls.flat().length, { until: (n) => n >= systems.length });
    await stop();
    expect(new Set(calls.flat())).toEqual(new Set(systems));
    expect(calls.flat()).toHaveLength(systems.length);
    expect(calls.length).toBeLessThan(systems.length / 2);
  });

  it('takes the system from the subject and the payload, each when valid', () => {
    const data = (payload: unknown) => new TextEncoder().encode(JSON.stringify(payload));
    expect(
      systemsOfEvent({ subject: `akosha.ingested.${S}`, data: data(event(S)) }, quiet),
    ).toEqual([S]);
    expect(
      systemsOfEvent({ subject: `akosha.ingested.${S}`, data: data(event(T)) }, quiet),
    ).toEqual([S, T]);
    expect(systemsOfEvent({ subject: 'akosha.ingested.x.y', data: data(event(T)) }, quiet)).toEqual(
      [T],
    );
    expect(systemsOfEvent({ subject: 'akosha.ingested.x.y', data: data({}) }, quiet)).toEqual([]);
  });
});
