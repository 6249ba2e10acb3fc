import { Registry } from 'prom-client';
import { RedisLayer } from '../../api/cache-redis';
import { createLogger } from '../../infra/logger';
import { createMetrics, type Metrics } from '../../infra/metrics';
import { blockLoop } from '../helpers/block-loop';
import { TEST_REDIS_URL, TestRedisServer, deleteKeysUnder, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

const TIMEOUT_MS = 100;

function newLayer(url: string, prefix: string) {
  const metrics = createMetrics(new Registry());
  const layer = new RedisLayer({
    url,
    prefix,
    timeoutMs: TIMEOUT_MS,
    log: createLogger('silent'),
    metrics,
    onReady: () => undefined,
  });
  return { layer, metrics };
}

async function failedCalls(metrics: Metrics): Promise<number> {
  return (await metrics.queryCacheErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
}

describe('RedisLayer timeouts', () => {
  let layer: RedisLayer | undefined;
  let server: TestRedisServer | undefined;
  afterEach(async () => {
    server?.thaw();
    await layer?.close();
    await server?.stop();
    layer = server = undefined;
  });

  it('does not take a blocked event loop for an unreachable Redis', async () => {
    const prefix = uniquePrefix();
    const made = newLayer(TEST_REDIS_URL, prefix);
    layer = made.layer;
    await waitFor(() => made.layer.ping(), { what: 'redis connection' });
    const key = made.layer.entryKey('h', 'v');
    await made.layer.set(key, 'stored', 60_000);
    const reply = made.layer.get(key); // sent now; its reply is read after the block
    blockLoop(10 * TIMEOUT_MS);
    expect(await reply).toBe('stored');
    expect(await failedCalls(made.metrics)).toBe(0);
    await deleteKeysUnder(TEST_REDIS_URL, prefix);
  });

  it('gives up on a Redis that stopped answering within a bound, and uses it again once it answers', async () => {
    server = await TestRedisServer.start();
    const made = newLayer(server.url, uniquePrefix());
    layer = made.layer;
    await waitFor(() => made.layer.ping(), { what: 'redis connection' });
    server.freeze();
    const started = performance.now();
    expect(await made.layer.get(made.layer.entryKey('h', 'v'))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await failedCalls(made.metrics)).toBeGreaterThan(0);
    server.thaw();
    await waitFor(() => made.layer.ping(), { what: 'redis answering again' });
  });
});
