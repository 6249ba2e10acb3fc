import Fastify, { type FastifyInstance } from 'fastify';
import { registerHttpMetrics, UNMATCHED_ROUTE } from '../../api/http-metrics';
import { createMetrics } from '../../infra/metrics';

type Metrics = ReturnType<typeof createMetrics>;

async function valuesOf(metrics: Metrics, name: string) {
  const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (found?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
}

describe('HTTP request metrics', () => {
  let app: FastifyInstance;
  let metrics: Metrics;
  let base: string;
  const send = (method: string, path: string) => fetch(`${base}${path}`, { method });

  beforeEach(async () => {
    metrics = createMetrics();
    app = Fastify();
    registerHttpMetrics(app, metrics);
    app.get('/things/:id', async (req) => ({ id: (req.params as { id: string }).id }));
    app.post('/fail', async (_req, reply) => reply.code(503).send({ error: 'unavailable' }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => app.close());

  it('labels requests by route pattern and status, never by the raw URL', async () => {
    for (const id of ['a', 'b', 'c']) await send('GET', `/things/${id}?x=${id}`);
    await send('POST', '/fail');
    const requests = await valuesOf(metrics, 'akosha_http_requests_total');
    expect(requests).toEqual(
      expect.arrayContaining([
        { value: 3, labels: { method: 'GET', route: '/things/:id', status: '200' } },
        { value: 1, labels: { method: 'POST', route: '/fail', status: '503' } },
      ]),
    );
    expect(requests.some((v) => String(v.labels.route).includes('/things/a'))).toBe(false);
  });

  it('puts every unmatched URL under one route value', async () => {
    for (const url of ['/nope', '/scan/wp-login.php', '/things']) await send('GET', url);
    const requests = await valuesOf(metrics, 'akosha_http_requests_total');
    expect(requests).toEqual([
      { value: 3, labels: { method: 'GET', route: UNMATCHED_ROUTE, status: '404' } },
    ]);
  });

  it('times requests by method and route', async () => {
    await send('GET', '/things/z');
    const durations = await valuesOf(metrics, 'akosha_http_request_duration_seconds');
    const count = durations.find(
      (v) => v.labels.route === '/things/:id' && v.labels.le === undefined && v.value === 1,
    );
    expect(count?.labels).toEqual({ method: 'GET', route: '/things/:id' });
  });
});
