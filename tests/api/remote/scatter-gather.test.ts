import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ServiceInfo, ServiceStats } from '@nats-io/services';
import { writerLeases } from '../../../streams/lease-status';
import type { Pipeline } from '../../../app/pipeline';
import { microClient } from '../../../api/remote/micro';
import type { FailedPart, SearchResponse } from '../../../api/search';
import { publishUpload } from '../../../producers/publish-upload';
import { shardOf } from '../../../schemas/ids';
import { groupOfShard, QUERY_SERVICE, subjects, writerToken } from '../../../streams/subjects';
import { MAX_QUERY_REQUEST_BYTES } from '../../../api/remote/protocol';
import { encodeVector } from '../../../embedding/vector';
import { STREAM } from '../../../streams/definitions';
import { getJson, post } from '../../helpers/http';
import { startTestNats, type TestNats } from '../../helpers/nats';
import { startTestPipeline, testConfig, testEnv } from '../../helpers/pipeline';
import { kill, spawnAkosha } from '../../helpers/processes';
import { streamMessageCount } from '../../helpers/streams';
import { record, upload } from '../../helpers/uploads';
import { waitFor } from '../../helpers/wait-for';

const GROUPS = 16;
const SCATTER_TIMEOUT_MS = 1500;
const SETTINGS = {
  AKOSHA_SHARD_GROUPS: String(GROUPS),
  AKOSHA_SCATTER_TIMEOUT_MS: String(SCATTER_TIMEOUT_MS),
};
const groupOf = (system: string) => groupOfShard(shardOf(system), GROUPS);

/** Systems whose shard groups fall in 0-7 (`low`) and in 8-15 (`high`). */
function systemsByHalf(perHalf: number): { low: string[]; high: string[] } {
  const low: string[] = [];
  const high: string[] = [];
  for (let i = 0; low.length < perHalf || high.length < perHalf; i++) {
    const id = `scatter-sys-${i}`;
    const half = groupOf(id) < 8 ? low : high;
    if (half.length < perHalf) half.push(id);
  }
  return { low, high };
}

const TOPICS = ['jetstream', 'duckdb', 'vector', 'lease', 'parquet', 'replay'];
const recordsOf = (system: string, n: number) =>
  TOPICS.map((topic, t) =>
    record(`${system}-r${t}`, `note ${n}.${t} of ${system} about ${topic} and shard ${n * 7 + t}`),
  );

const scores = (r: SearchResponse) => r.results.map((h) => [h.system_id, h.id, h.similarity]);
const searchOf = (pipeline: Pipeline) => async (body: Record<string, unknown>) => {
  const res = await post(pipeline.httpAddress!, '/api/v1/search', body);
  expect(res.status).toBe(200);
  return (await res.json()) as SearchResponse;
};

describe('queries across writer processes: scatter-gather over NATS', () => {
  const { low, high } = systemsByHalf(3);
  const systems = [...low, ...high];
  let split: TestNats;
  let single: TestNats;
  const writers: ChildProcess[] = [];
  const owners: string[] = [];
  let api: Pipeline;
  let allInOne: Pipeline;

  const startWriter = (groups: string) => {
    const env = testEnv(split.url, { ...SETTINGS, AKOSHA_WRITER_GROUPS: groups });
    writers.push(spawnAkosha(['writer'], env));
    owners.push(`${hostname()}:${resolve(env.AKOSHA_DATA_DIR!, 'hot')}`);
  };
  /** every instance that answers `$SRV.INFO`; none while no writer is up (no responders) */
  const serviceInfos = async () => {
    const infos: ServiceInfo[] = [];
    try {
      for await (const info of await microClient(split.nc).info(QUERY_SERVICE)) infos.push(info);
    } catch (err) {
      if (!String(err).includes('no responders')) throw err;
    }
    return infos;
  };
  const searchStats = async () => {
    const stats = new Map<string, number>();
    for await (const s of (await microClient(split.nc).stats(
      QUERY_SERVICE,
    )) as AsyncIterable<ServiceStats>)
      stats.set(
        s.metadata?.owner ?? '',
        s.endpoints?.find((e) => e.name === 'search')?.num_requests ?? 0,
      );
    return stats;
  };

  beforeAll(async () => {
    [split, single] = await Promise.all([startTestNats(), startTestNats()]);
    startWriter('0-7');
    startWriter('8-15');
    api = await startTestPipeline(testConfig(split.url, SETTINGS), ['ingest', 'api']);
    allInOne = await startTestPipeline(testConfig(single.url, SETTINGS), [
      'ingest',
      'writer',
      'api',
    ]);
    await waitFor(async () => (await serviceInfos()).length, {
      until: (n) => n === 2,
      what: 'both writers offer their query endpoints',
      timeoutMs: 90_000,
    });
    for (const [n, system] of systems.entries())
      for (const nats of [split, single])
        await publishUpload(nats.js, upload(system, `up-${n}`, recordsOf(system, n)), {
          maxPayloadBytes: 1 << 20,
        });
    for (const nats of [split, single])
      await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
        until: (n) => n === systems.length,
        what: 'every upload stored',
        timeoutMs: 60_000,
      });
  }, 180_000);

  afterAll(async () => {
    for (const child of writers) {
      child.kill('SIGCONT');
      if (child.exitCode === null) await kill(child, 'SIGTERM');
    }
    await api?.close();
    await allInOne?.close();
    await Promise.all([split?.stop(), single?.stop()]);
  }, 60_000);

  it('lists every writer in $SRV.INFO with its endpoints and shard groups', async () => {
    const pings: unknown[] = [];
    for await (const ping of await microClient(split.nc).ping(QUERY_SERVICE)) pings.push(ping);
    expect(pings).toHaveLength(2);
    const infos = await serviceInfos();
    const byOwner = new Map(infos.map((i) => [i.metadata?.owner, i]));
    expect([...byOwner.keys()].sort()).toEqual([...owners].sort());
    expect(byOwner.get(owners[0])?.metadata?.groups).toBe('0,1,2,3,4,5,6,7');
    expect(byOwner.get(owners[1])?.metadata?.groups).toBe('8,9,10,11,12,13,14,15');
    for (const info of infos) {
      const names = info.endpoints.map((e) => e.name);
      expect(names).toEqual(expect.arrayContaining(['search', 'memory', 'counts', 'status']));
    }
    // the graph writer is the one owning group 0 (AKOSHA_GRAPH_WRITER=auto)
    const graphNames = byOwner.get(owners[0])!.endpoints.map((e) => e.name);
    expect(graphNames).toContain('graph-neighbors');
    expect(byOwner.get(owners[1])!.endpoints.map((e) => e.name)).not.toContain('graph-neighbors');
    const leases = await writerLeases(split.js, await jetstreamManager(split.nc));
    expect(leases.map((l) => l.group)).toEqual(Array.from({ length: GROUPS }, (_, g) => g));
  });

  it('finds records of both halves once each, in the order and with the scores of one process', async () => {
    const [viaNats, inProcess] = [searchOf(api), searchOf(allInOne)];
    const all = { query: 'note about jetstream and shard', limit: 100, threshold: -1 };
    const found = await viaNats(all);
    expect(found.partial).toBe(false);
    const keys = found.results.map((h) => `${h.system_id}/${h.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(systems.length * TOPICS.length);
    expect(new Set(found.results.map((h) => h.system_id))).toEqual(new Set(systems));
    for (const query of ['duckdb lease', 'vector parquet replay', 'scatter-sys shard 12']) {
      const body = { query, limit: 50, threshold: -1 };
      const [a, b] = [await viaNats(body), await inProcess(body)];
      expect(a.results.length).toBeGreaterThan(0);
      expect(scores(a)).toEqual(scores(b));
    }
  });

  it('sends a query naming a system only to the writer of its shard group', async () => {
    const before = await searchStats();
    const target = high[0]!;
    const res = await searchOf(api)({ query: 'about lease', system_id: target, limit: 5 });
    expect(res.results.every((h) => h.system_id === target)).toBe(true);
    expect(res.results.length).toBeGreaterThan(0);
    const after = await searchStats();
    expect(after.get(owners[1]!)! - before.get(owners[1]!)!).toBe(1);
    expect(after.get(owners[0]!)! - before.get(owners[0]!)!).toBe(0);
  });

  it('looks memories up, counts systems and reports status across writers', async () => {
    for (const system of [low[0]!, high[0]!]) {
      const path = `/api/v1/memories/${system}/${system}-r2`;
      const [a, b] = [
        await getJson(api.httpAddress!, path),
        await getJson(allInOne.httpAddress!, path),
      ];
      expect(a.status).toBe(200);
      const { ingested_at: _a, ...memory } = a.body as Record<string, unknown>;
      const { ingested_at: _b, ...expected } = b.body as Record<string, unknown>;
      expect(memory).toEqual(expected);
    }
    expect((await getJson(api.httpAddress!, `/api/v1/memories/${high[1]}/nope`)).status).toBe(404);
    const [a, b] = [
      await getJson(api.httpAddress!, '/api/v1/systems'),
      await getJson(allInOne.httpAddress!, '/api/v1/systems'),
    ];
    expect(a.body).toEqual(b.body);
    const one = await getJson<{ systems: unknown[] }>(
      api.httpAddress!,
      `/api/v1/systems?system_id=${low[1]}`,
    );
    expect(one.body.systems).toHaveLength(1);
    const status = await getJson<{ writer: { hot_shards: number[]; writers: unknown[] } }>(
      api.httpAddress!,
      '/api/v1/status',
    );
    expect(status.body.writer.writers).toHaveLength(2);
    expect(status.body.writer.hot_shards).toEqual(
      [...new Set(systems.map(shardOf))].sort((x, y) => x - y),
    );
    const stats = await getJson(api.httpAddress!, '/api/v1/graph/statistics');
    expect(stats.status).toBe(200);
  });

  it('refuses requests that are not valid, too large or of another model, with a code', async () => {
    const subject = subjects.query(writerToken(owners[0]!), 'search');
    const vector = encodeVector(new Float32Array(384).fill(0.05));
    const request = { query: 'x', limit: 5 };
    const cases: [string | Uint8Array, number, string][] = [
      ['not json', 400, 'invalid_request'],
      [
        JSON.stringify({ model: 'hashing', vector, request: { limit: 5 }, scope: '*' }),
        400,
        'invalid_request',
      ],
      [
        JSON.stringify({ model: 'other-model', vector, request, scope: '*' }),
        409,
        'model_mismatch',
      ],
      [
        JSON.stringify({ model: api.embedder.info.model, vector: 'AAAA', request, scope: '*' }),
        400,
        'invalid_request',
      ],
      [new Uint8Array(MAX_QUERY_REQUEST_BYTES + 1).fill(32), 413, 'too_large'],
    ];
    for (const [body, status, code] of cases) {
      const reply = await split.nc.request(subject, body, { timeout: 5000 });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe(String(status));
      expect(reply.json()).toEqual({ error: code, message: expect.any(String) });
    }
  });

  it('answers within the deadline, partial and naming the writer, while one writer is stopped', async () => {
    const stopped = writers[1]!;
    stopped.kill('SIGSTOP');
    try {
      const started = Date.now();
      const res = await searchOf(api)({
        query: 'while one writer sleeps',
        limit: 50,
        threshold: -1,
      });
      const tookMs = Date.now() - started;
      expect(res.partial).toBe(true);
      const failed = res.failed as (FailedPart & { writer?: string; groups?: number[] })[];
      expect(failed).toEqual([
        expect.objectContaining({
          writer: owners[1],
          reason: 'timeout',
          groups: [8, 9, 10, 11, 12, 13, 14, 15],
        }),
      ]);
      expect(new Set(res.results.map((h) => h.system_id))).toEqual(new Set(low));
      expect(tookMs).toBeLessThan(SCATTER_TIMEOUT_MS + 3000);
      const memory = await getJson(api.httpAddress!, `/api/v1/memories/${high[0]}/${high[0]}-r1`);
      expect(memory.status).toBe(504);
    } finally {
      stopped.kill('SIGCONT');
    }
    const again = await searchOf(api)({
      query: 'after the writer woke up',
      limit: 50,
      threshold: -1,
    });
    expect(again.partial).toBe(false);
  });
});
