import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { qdrantPointIdOf } from '../../../storage/vector-index/keys';
import {
  QdrantIndex,
  toQdrantFilter,
  toQdrantPoint,
} from '../../../storage/vector-index/qdrant-index';
import { QdrantClientResourceExhaustedError } from '../../../storage/vector-index/qdrant-module';
import {
  RetriesExhaustedError,
  parseRetryAfter,
  retryDelayMs,
  withRetry,
} from '../../../storage/vector-index/qdrant-retry';
import { runVectorIndexConformance } from './conformance';
import { dataset } from './fixtures';

const QDRANT_URL = process.env.QDRANT_URL;

if (QDRANT_URL) {
  const created: QdrantIndex[] = [];
  let n = 0;
  runVectorIndexConformance(`qdrant at ${QDRANT_URL}`, async () => {
    const collection = `akosha_conformance_${process.pid}_${Date.now()}_${n++}`;
    const index = await QdrantIndex.connect({
      url: QDRANT_URL,
      apiKey: process.env.QDRANT_API_KEY,
      collection,
    });
    created.push(index);
    return index;
  });
  afterAll(async () => {
    for (const index of created) {
      await index.client.deleteCollection(index.collection);
    }
  });
} else {
  console.log(
    'VectorIndex conformance against a real Qdrant is skipped (set QDRANT_URL to run it)',
  );
  describe.skip('VectorIndex conformance: qdrant (set QDRANT_URL to run)', () => {
    it('runs the shared conformance suite against a real Qdrant server', () => undefined);
  });
}

describe('Qdrant adapter, pure parts', () => {
  it('derives point ids as UUIDs from sha256 of the record key, deterministically', () => {
    const a = qdrantPointIdOf({ system_id: 'system-1', id: 'r1' });
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(qdrantPointIdOf({ system_id: 'system-1', id: 'r1' })).toBe(a);
    expect(qdrantPointIdOf({ system_id: 'system-1', id: 'r2' })).not.toBe(a);
    expect(qdrantPointIdOf({ system_id: 'system-1r', id: '1' })).not.toBe(a);
  });

  it('stores the payload with a numeric epoch-ms timestamp', () => {
    const p = dataset(1)[0]!;
    const point = toQdrantPoint({
      ...p,
      payload: { ...p.payload, timestamp: '2026-01-01T01:00:00' },
    });
    expect(point.id).toBe(qdrantPointIdOf(p.key));
    expect(point.vector).toHaveLength(384);
    expect(point.payload).toMatchObject({
      system_id: p.key.system_id,
      id: p.key.id,
      timestamp_ms: Date.parse('2026-01-01T01:00:00Z'),
    });
  });

  it('translates filters into filter.must conditions', () => {
    expect(toQdrantFilter(undefined)).toBeUndefined();
    expect(toQdrantFilter({})).toBeUndefined();
    expect(
      toQdrantFilter({
        system_id: 's1',
        project: 'p',
        kind: 'reflection',
        since: '2026-01-01T00:00:00Z',
        until: '2026-01-02T00:00:00+02:00',
      }),
    ).toEqual({
      must: [
        { key: 'system_id', match: { value: 's1' } },
        { key: 'project', match: { value: 'p' } },
        { key: 'kind', match: { value: 'reflection' } },
        {
          key: 'timestamp_ms',
          range: {
            gte: Date.parse('2026-01-01T00:00:00Z'),
            lt: Date.parse('2026-01-01T22:00:00Z'),
          },
        },
      ],
    });
    expect(toQdrantFilter({ until: '2026-01-01T00:00:00Z' })).toEqual({
      must: [{ key: 'timestamp_ms', range: { lt: Date.parse('2026-01-01T00:00:00Z') } }],
    });
    expect(() => toQdrantFilter({ since: 'yesterday' })).toThrow(/invalid timestamp/);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 10_000 };
  const httpError = (status: number, retryAfter?: string) =>
    Object.assign(new Error('http'), {
      status,
      headers: new Headers(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
    });

  it('decides which errors to retry and how long to wait', () => {
    expect(retryDelayMs(httpError(503, '2'), 0, policy)).toBe(2000);
    expect(retryDelayMs(httpError(503), 2, policy)).toBe(400); // backoff 100 × 2^2
    expect(retryDelayMs(httpError(429, '60'), 0, policy)).toBe(10_000); // capped
    expect(retryDelayMs(new QdrantClientResourceExhaustedError('x', '3'), 0, policy)).toBe(3000);
    // the client keeps only the first character of Retry-After: a lower bound, with backoff
    expect(retryDelayMs(new QdrantClientResourceExhaustedError('x', '0'), 3, policy)).toBe(800);
    expect(retryDelayMs(new Error('Invalid retryAfter value: S'), 1, policy)).toBe(200);
    expect(retryDelayMs(httpError(400), 0, policy)).toBeUndefined();
    expect(retryDelayMs(httpError(500), 0, policy)).toBeUndefined();
    expect(retryDelayMs(new Error('ECONNREFUSED'), 0, policy)).toBeUndefined();
  });

  it('retries a bounded number of times, and not at all for other errors', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    let calls = 0;
    const always503 = () => {
      calls++;
      return Promise.reject(httpError(503, '1'));
    };
    await expect(withRetry(always503, policy, sleep)).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(4);
    expect(waits).toEqual([1000, 1000, 1000]);
    calls = 0;
    const bad = () => {
      calls++;
      return Promise.reject(httpError(400));
    };
    await expect(withRetry(bad, policy, sleep)).rejects.toMatchObject({ status: 400 });
    expect(calls).toBe(1);
  });
});

/**
 * A stand-in for the few Qdrant REST endpoints the adapter calls, on 127.0.0.1: only to
 * exercise the retry/back-off path and the shape of requests (no Qdrant server can run here).
 * It is not a Qdrant: the conformance suite above needs a real one.
 */
describe('Qdrant adapter against a local stand-in for 429/503 answers', () => {
  let server: Server;
  let url: string;
  let script: { status: number; headers?: Record<string, string>; body?: unknown }[] = [];
  const requests: { method: string; url: string; body: unknown; at: number }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        requests.push({
          method: req.method!,
          url: req.url!,
          body: text ? JSON.parse(text) : undefined,
          at: Date.now(),
        });
        const next = script.shift() ?? {
          status: 200,
          body: { operation_id: 1, status: 'completed' },
        };
        const ok = next.status === 200;
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        res.end(
          JSON.stringify(
            ok
              ? { result: next.body, status: 'ok', time: 0 }
              : { status: { error: 'busy' }, time: 0 },
          ),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests.length = 0;
    script = [];
  });

  const make = (maxRetries = 3) =>
    new QdrantIndex({
      url,
      collection: 'c',
      retry: { maxRetries, baseDelayMs: 10, maxDelayMs: 5_000 },
    });

  it('waits for Retry-After on 503 and 429, then writes with wait=true', async () => {
    script = [
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 429, headers: { 'retry-after': '1' } },
    ];
    const points = dataset(3);
    const started = Date.now();
    await make().upsert(points);
    expect(requests).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(950);
    const last = requests[2]!;
    expect(last.method).toBe('PUT');
    expect(last.url).toBe('/collections/c/points?wait=true');
    const body = last.body as { points: { id: string; payload: { timestamp_ms: number } }[] };
    expect(body.points.map((p) => p.id)).toEqual(points.map((p) => qdrantPointIdOf(p.key)));
    expect(body.points[0]!.payload.timestamp_ms).toBe(Date.parse(points[0]!.payload.timestamp));
  });

  it('gives up after the bounded retries', async () => {
    script = Array.from({ length: 10 }, () => ({ status: 503, headers: { 'retry-after': '0' } }));
    await expect(make(2).remove([{ system_id: 's', id: 'x' }])).rejects.toBeInstanceOf(
      RetriesExhaustedError,
    );
    expect(requests).toHaveLength(3);
    expect(requests[0]!.url).toBe('/collections/c/points/delete?wait=true');
  });

  it('does not retry a 400', async () => {
    script = [{ status: 400 }];
    await expect(make().count()).rejects.toMatchObject({ status: 400 });
    expect(requests).toHaveLength(1);
  });

  it('sends the query with its filter and maps points back to record keys', async () => {
    script = [
      {
        status: 200,
        body: {
          points: [{ id: 'u', version: 1, score: 0.93, payload: { system_id: 's1', id: 'r9' } }],
        },
      },
    ];
    const q = dataset(1)[0]!.vector;
    const hits = await make().search(q, {
      limit: 5,
      filter: { system_id: 's1', kind: 'reflection' },
    });
    expect(hits).toEqual([{ key: { system_id: 's1', id: 'r9' }, similarity: 0.93 }]);
    const req = requests[0]!;
    expect(req.url).toBe('/collections/c/points/query');
    expect(req.body).toMatchObject({
      limit: 5,
      with_payload: ['system_id', 'id'],
      filter: {
        must: [
          { key: 'system_id', match: { value: 's1' } },
          { key: 'kind', match: { value: 'reflection' } },
        ],
      },
    });
    expect((req.body as { query: number[] }).query).toHaveLength(384);
  });
});
