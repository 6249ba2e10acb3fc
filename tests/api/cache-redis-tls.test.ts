import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { redactedUrl } from '../../api/cache-redis';
import { QueryCache, type QueryCacheOptions } from '../../api/query-cache';
import type { Logger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import { startTlsRedis, type TlsRedis } from '../helpers/redis-tls';
import { makeTestCa, type TestCa } from '../helpers/tls';
import { waitFor } from '../helpers/wait-for';

interface Answer {
  answer: string;
}

const PASSWORD = 'redis-test-secret-6b1f';
const caches: QueryCache<Answer>[] = [];

function capturedLogger(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { log, text: () => lines.join('') };
}

function newCache(overrides: Partial<QueryCacheOptions>) {
  const { log, text } = capturedLogger();
  const cache = new QueryCache<Answer>({
    enabled: true,
    redisUrl: null,
    l1Entries: 100,
    ttlSeconds: 60,
    prefix: 'akosha-tls-test',
    redisTimeoutMs: 1000,
    log,
    metrics: createMetrics(new Registry()),
    ...overrides,
  });
  caches.push(cache);
  return { cache, logText: text };
}

const request = { query: 'tls', limit: 3 };

describe('query cache through Redis over TLS with a password', () => {
  let ca: TestCa;
  let redis: TlsRedis;
  beforeAll(async () => {
    ca = makeTestCa();
    redis = await startTlsRedis(ca, PASSWORD);
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('stores an entry that another process reads back from Redis', async () => {
    const tls = { redisUrl: redis.url, redisPassword: PASSWORD, redisTlsCa: ca.cert };
    const writer = newCache(tls).cache;
    await waitFor(() => writer.sync(), { what: 'TLS connection to Redis' });
    await writer.set(request, undefined, { answer: 'over tls' });
    // a second cache has an empty L1: its hit can only come from Redis
    const reader = newCache(tls).cache;
    await waitFor(() => reader.sync(), { what: 'second TLS connection' });
    expect(await reader.get(request, undefined)).toEqual({ answer: 'over tls' });
  });

  it('takes the password from the URL, and never logs it', async () => {
    const withPassword = `rediss://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const { cache } = newCache({ redisUrl: withPassword, redisTlsCa: ca.cert });
    await waitFor(() => cache.sync(), { what: 'TLS connection with the URL password' });

    const wrongInUrl = `rediss://:wrong-${PASSWORD}@127.0.0.1:${redis.port}`;
    const failing = newCache({ redisUrl: wrongInUrl, redisTlsCa: ca.cert });
    const logged = await waitFor(failing.logText, { until: (t) => t.includes('unreachable') });
    expect(logged).toContain(`rediss://***@127.0.0.1:${redis.port}`);
    expect(logged).not.toContain(PASSWORD);
    expect(redactedUrl(withPassword)).toBe(`rediss://***@127.0.0.1:${redis.port}`);
    expect(redactedUrl('redis://127.0.0.1:6379/2')).toBe('redis://127.0.0.1:6379/2');
  });

  it('reports a wrong password and serves from L1', async () => {
    const { cache, logText } = newCache({
      redisUrl: redis.url,
      redisPassword: 'not-the-password',
      redisTlsCa: ca.cert,
    });
    const logged = await waitFor(logText, { until: (t) => t.includes('unreachable') });
    expect(logged).toMatch(/WRONGPASS|NOAUTH/);
    expect(logged).not.toContain('not-the-password');
    expect(await cache.sync()).toBe(false);
    await cache.set(request, undefined, { answer: 'local' });
    expect(await cache.get(request, undefined)).toEqual({ answer: 'local' });
  });

  it('reports a server certificate it cannot verify (no CA given) and serves from L1', async () => {
    const { cache, logText } = newCache({ redisUrl: redis.url, redisPassword: PASSWORD });
    const logged = await waitFor(logText, { until: (t) => t.includes('unreachable') });
    expect(logged).toMatch(
      /server certificate not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    );
    expect(logged).toContain('AKOSHA_REDIS_TLS_CA');
    expect(await cache.sync()).toBe(false);
    await cache.set(request, undefined, { answer: 'local' });
    expect(await cache.get(request, undefined)).toEqual({ answer: 'local' });
  });

  it('fails at once on a CA file it cannot read', () => {
    expect(() =>
      newCache({ redisUrl: redis.url, redisTlsCa: join(ca.dir, 'missing-ca.pem') }),
    ).toThrow(/AKOSHA_REDIS_TLS_CA: cannot read .*missing-ca\.pem \(ENOENT\)/);
  });
});
