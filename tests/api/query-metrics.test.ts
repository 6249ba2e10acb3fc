import { observedQueryBackend, observeQuery } from '../../api/query-metrics';
import type { QueryBackend, ShardQueries } from '../../api/query-backend';
import { createMetrics } from '../../infra/metrics';

type Metrics = ReturnType<typeof createMetrics>;

async function requestCounts(metrics: Metrics) {
  const found = (await metrics.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'akosha_query_requests_total',
  );
  return Object.fromEntries(
    (found?.values ?? []).map((v) => [`${v.labels.endpoint}/${v.labels.outcome}`, v.value]),
  );
}

describe('query metrics', () => {
  it('counts answers as ok or partial, and throws as error, timing each', async () => {
    const metrics = createMetrics();
    await observeQuery(metrics, 'search', async () => ({ partial: false, failed: [] }));
    await observeQuery(metrics, 'search', async () => ({ partial: true, failed: [{}] }));
    await observeQuery(metrics, 'systems', async () => ({ counts: new Map(), failed: [{}] }));
    await expect(
      observeQuery(metrics, 'mcp_search', async () => Promise.reject(new Error('down'))),
    ).rejects.toThrow('down');
    expect(await requestCounts(metrics)).toEqual({
      'search/ok': 1,
      'search/partial': 1,
      'systems/partial': 1,
      'mcp_search/error': 1,
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('akosha_query_duration_seconds_count{endpoint="search"} 2');
    expect(text).toContain('akosha_query_duration_seconds_count{endpoint="mcp_search"} 1');
  });

  it('observes memory lookups and counts, and passes other members through', async () => {
    const metrics = createMetrics();
    const status = { hot_shards: [1], warm_shards: [] };
    const shards = {
      memory: async () => null,
      counts: async () => ({ counts: new Map(), failed: [] }),
      status: async () => status,
    } as unknown as ShardQueries;
    const backend: QueryBackend = { kind: 'local', search: undefined, shards, graph: undefined };
    const observed = observedQueryBackend(backend, metrics);
    await observed.shards!.memory('sys', 'id', '*');
    await observed.shards!.counts(undefined, '*');
    expect(await observed.shards!.status()).toBe(status);
    expect(observed.search).toBeUndefined();
    expect(await requestCounts(metrics)).toEqual({ 'memory/ok': 1, 'systems/ok': 1 });
  });
});
