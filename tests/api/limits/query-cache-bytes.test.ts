import { Registry } from 'prom-client';
import { QueryCache } from '../../../api/query-cache';
import { createLogger } from '../../../infra/logger';
import { createMetrics } from '../../../infra/metrics';
import { TEST_REDIS_URL, deleteKeysUnder, keysUnder, uniquePrefix } from '../../helpers/redis';
import { waitFor } from '../../helpers/wait-for';

interface Answer {
  text: string;
}

const answer = (bytes: number): Answer => ({ text: 'a'.repeat(bytes - 11) }); // {"text":"…"}

function cache(opts: { redisUrl: string | null; prefix?: string }) {
  return new QueryCache<Answer>({
    enabled: true,
    redisUrl: opts.redisUrl,
    prefix: opts.prefix ?? uniquePrefix(),
    l1Entries: 10_000,
    l1MaxBytes: 1024 * 1024,
    maxEntryBytes: 64 * 1024,
    ttlSeconds: 60,
    redisTimeoutMs: 400,
    log: createLogger('silent'),
    metrics: createMetrics(new Registry()),
  });
}

describe('query cache: bounded in bytes, large answers not cached', () => {
  it('keeps L1 within its byte bound however many entries fit its count', async () => {
    const c = cache({ redisUrl: null });
    try {
      // 100 answers of 32 KiB (64 KiB in memory each): 6.4 MiB asked for, 1 MiB allowed
      for (let i = 0; i < 100; i++) await c.set({ query: `q${i}` }, undefined, answer(32 * 1024));
      let kept = 0;
      for (let i = 0; i < 100; i++) if (await c.get({ query: `q${i}` }, undefined)) kept++;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThanOrEqual(16);
      expect(await c.get({ query: 'q99' }, undefined)).toEqual(answer(32 * 1024)); // newest kept
    } finally {
      await c.close();
    }
  });

  it('caches an answer at the entry limit, and one above it in neither L1 nor Redis', async () => {
    const prefix = uniquePrefix();
    const c = cache({ redisUrl: TEST_REDIS_URL, prefix });
    try {
      await waitFor(() => c.sync(), { what: 'redis connection' });
      const small = await c.getOrCompute({ query: 'small' }, 's', async () => answer(64 * 1024));
      expect(small.hit).toBe(false);
      expect((await c.getOrCompute({ query: 'small' }, 's', async () => answer(1))).hit).toBe(true);
      const keysBefore = (await keysUnder(TEST_REDIS_URL, prefix)).length;
      let computed = 0;
      const big = () => {
        computed++;
        return Promise.resolve(answer(64 * 1024 + 1));
      };
      expect((await c.getOrCompute({ query: 'big' }, 's', big)).hit).toBe(false);
      expect((await c.getOrCompute({ query: 'big' }, 's', big)).hit).toBe(false);
      expect(computed).toBe(2);
      expect((await keysUnder(TEST_REDIS_URL, prefix)).length).toBe(keysBefore);
    } finally {
      await c.close();
      await deleteKeysUnder(TEST_REDIS_URL, prefix);
    }
  });
});
