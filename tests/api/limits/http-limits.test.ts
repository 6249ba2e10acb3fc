import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../auth/principal';
import { rateLimitKey } from '../../../api/limits/rate-limit';
import { post } from '../../helpers/http';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { HashingEmbedder } from '../../../embedding/hashing-embedder';
import type { Embedder } from '../../../embedding/embedder';
import { waitFor } from '../../helpers/wait-for';
import { namedTokens, nested, startLimitsServer, type LimitsServer } from './server';

const storeWithDeepMetadata = (depth: number) =>
  `{"name":"store_memory","arguments":{"content":"deep","metadata":${nested(depth)}}}`;

describe('HTTP limits: bodies, depth, timeouts', () => {
  let nats: TestNats;
  let server: LimitsServer;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    server = await startLimitsServer(nats);
  });
  afterAll(async () => {
    await server.close();
    await nats.stop();
  });

  it('refuses a body over 1 MiB outside /mcp with 413 and the limit', async () => {
    const res = await post(server.base, '/api/v1/search', { query: 'x'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: 'body_too_large',
      message: 'request body is larger than 1048576 bytes',
      limit_bytes: 1048576,
      request_id: res.headers.get('x-request-id'),
    });
  });

  it('takes up to 8 MiB on /mcp routes and refuses more with 413', async () => {
    const memories = Array.from({ length: 300 }, (_, i) => ({
      memory_id: `m-${i}`,
      text: `${i} ${'w'.repeat(9000)}`,
      metadata: { source: 'limits-test' },
    }));
    const big = { name: 'batch_store_memories', arguments: { memories } }; // ~2.7 MB
    const stored = await post(server.base, '/mcp/tools/call', big);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ result: { stored: 300 } });
    const huge = await post(server.base, '/mcp/tools/call', { pad: 'p'.repeat(8 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'body_too_large', limit_bytes: 8388608 });
  });

  it('refuses JSON nested deeper than 32 levels with 400 json_too_deep, on every parser', async () => {
    const search = await post(server.base, '/api/v1/search', `{"query":"q","x":${nested(40)}}`);
    expect(search.status).toBe(400);
    expect(await search.json()).toMatchObject({ error: 'json_too_deep', max_depth: 32 });
    const ok = await post(server.base, '/api/v1/search', `{"query":"q","x":${nested(20)}}`);
    expect(ok.status).not.toBe(400); // unknown keys are dropped; no shards here: 503
    for (const depth of [40, 3000, 100_000]) {
      const res = await post(server.base, '/mcp/tools/call', storeWithDeepMetadata(depth));
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('json_too_deep');
      expect(text).not.toMatch(/call stack/i);
    }
    const rpc = await post(
      server.base,
      '/mcp',
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${nested(3000)}}`,
    );
    expect(rpc.status).toBe(400);
    expect(await rpc.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('refuses metadata nested deeper than 32 levels inside an otherwise shallow limit', async () => {
    const deep = await startLimitsServer(nats, { limits: { jsonMaxDepth: 100 } });
    try {
      const res = await post(deep.base, '/mcp/tools/call', storeWithDeepMetadata(50));
      const text = await res.text();
      expect(res.status).toBeLessThan(500);
      expect(text).toMatch(/metadata must not nest deeper than 32 levels/);
    } finally {
      await deep.close();
    }
  });

  it('refuses __proto__ keys in a body', async () => {
    const res = await post(server.base, '/api/v1/search', '{"query":"q","__proto__":{"x":1}}');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'forbidden_key' });
  });

  it('sets the request and connection timeouts on the server', () => {
    expect(server.app.server.requestTimeout).toBe(60_000);
    expect(server.app.server.timeout).toBe(120_000);
  });
});

describe('HTTP limits: rate per principal', () => {
  let nats: TestNats;
  let server: LimitsServer;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    server = await startLimitsServer(nats, {
      limits: { ratePerMinute: 3 },
      authenticator: namedTokens(['alice', 'bob']),
    });
  });
  afterAll(async () => {
    await server.close();
    await nats.stop();
  });

  const status = (token: string, path = '/api/v1/systems') =>
    fetch(`${server.base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('answers 429 with Retry-After to one principal while another still passes', async () => {
    for (let i = 0; i < 3; i++) expect((await status('alice')).status).not.toBe(429);
    const limited = await status('alice');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited', limit_per_minute: 3 });
    expect((await status('alice', '/mcp/status')).status).toBe(429); // every route counts
    expect((await status('bob')).status).not.toBe(429);
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.base}/health`)).status).toBe(200);
  });
});

describe('rateLimitKey', () => {
  const request = (principal: Principal | null, ip: string) =>
    ({ principal, ip }) as unknown as FastifyRequest;
  const named = (name: string, via: Principal['via']): Principal => ({
    name,
    role: 'writer',
    systems: '*',
    via,
  });

  it('counts a principal wherever it calls from, and anonymous callers each by address', () => {
    expect(rateLimitKey(request(named('alice', 'token'), '10.0.0.1'))).toBe('principal:alice');
    expect(rateLimitKey(request(named('alice', 'jwt'), '10.0.0.2'))).toBe('principal:alice');
    const anonymous = named('anonymous', 'anonymous');
    expect(rateLimitKey(request(anonymous, '10.0.0.1'))).toBe('address:10.0.0.1');
    expect(rateLimitKey(request(anonymous, '10.0.0.2'))).toBe('address:10.0.0.2');
    expect(rateLimitKey(request(null, '10.0.0.3'))).toBe('address:10.0.0.3');
  });
});

/** The hashing embedder, holding every call until released: the embedder is busy. */
class HeldEmbedder implements Embedder {
  private readonly inner = new HashingEmbedder();
  readonly info = this.inner.info;
  calls = 0;
  private releases: (() => void)[] = [];
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++;
    await new Promise<void>((resolve) => this.releases.push(resolve));
    return this.inner.embed(texts);
  }
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
  close = () => Promise.resolve();
}

describe('HTTP limits: bounded embedding endpoints', () => {
  let nats: TestNats;
  let server: LimitsServer;
  const embedder = new HeldEmbedder();
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    server = await startLimitsServer(nats, {
      embedder,
      limits: { embedding: { concurrency: 1, queue: 1 } },
    });
  });
  afterAll(async () => {
    embedder.release();
    await server.close();
    await nats.stop();
  });

  it('computes one at a time, queues one, and answers 503 with Retry-After beyond', async () => {
    const first = post(server.base, '/api/v1/embeddings', { text: 'one' });
    await waitFor(() => embedder.calls === 1, { timeoutMs: 10_000 });
    const queued = post(server.base, '/mcp/tools/call', {
      name: 'generate_embedding',
      arguments: { text: 'two' },
    });
    const busy: Response[] = [];
    await waitFor(
      async () => {
        const res = await post(server.base, '/api/v1/embeddings/batch', { texts: ['three'] });
        if (res.status === 503) busy.push(res);
        return busy.length > 0;
      },
      { timeoutMs: 10_000 },
    );
    expect(busy[0]!.headers.get('retry-after')).toBe('1');
    expect(await busy[0]!.json()).toMatchObject({ error: 'busy' });
    const mcpBusy = await post(server.base, '/mcp', {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'generate_embedding', arguments: { text: 'four' } },
    });
    expect(mcpBusy.status).toBe(503);
    expect(mcpBusy.headers.get('retry-after')).toBe('1');
    expect(await mcpBusy.json()).toMatchObject({
      error: { code: -32000, data: { reason: 'busy' } },
    });
    expect(embedder.calls).toBe(1);
    const releasing = setInterval(() => embedder.release(), 20);
    try {
      expect((await first).status).toBe(200);
      expect((await queued).status).toBe(200);
    } finally {
      clearInterval(releasing);
    }
    expect(embedder.calls).toBe(2);
  });
});
