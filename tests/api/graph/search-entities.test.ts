import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../../api/http';
import { QueryCache } from '../../../api/query-cache';
import { SearchService, type SearchResponse } from '../../../api/search';
import { HashingEmbedder, HASHING_MODEL } from '../../../embedding/hashing-embedder';
import { encodeVector } from '../../../embedding/vector';
import { createLogger } from '../../../infra/logger';
import { createMetrics } from '../../../infra/metrics';
import type { EmbeddedMessage, EmbeddedRecord } from '../../../schemas/embedded';
import { GraphMessage } from '../../../schemas/graph';
import { shardOf } from '../../../schemas/ids';
import { HotStore } from '../../../storage/hot-store';
import { apiReadiness } from '../../helpers/http';
import { startTestNats, type TestNats } from '../../helpers/nats';
import {
  A,
  AKOSHA,
  ALICE,
  B,
  DUCKDB,
  openFilledGraph,
  readerTokens,
  type FilledGraph,
} from './fixture';

const embedder = new HashingEmbedder();
const TEXT_A = 'alice keeps the akosha pipeline running on duckdb files';
const TEXT_B = 'the akosha pipeline stores its shards in duckdb files';

async function embeddedRecord(id: string, content: string): Promise<EmbeddedRecord> {
  const [vector] = await embedder.embed([content]);
  return {
    id,
    kind: 'conversation',
    content,
    content_sha256: createHash('sha256').update(content).digest('hex'),
    timestamp: '2026-11-20T10:00:00.000Z',
    project: 'akosha',
    tags: [],
    metadata: {},
    vector: encodeVector(vector!),
    vector_source: 'embedder',
  };
}

/** One record per system, written straight into the hot shards. */
async function writeRecord(store: HotStore, system: string, record: EmbeddedRecord) {
  const message: EmbeddedMessage = {
    schema_version: 1,
    upload_id: `upload-${system}`,
    system_id: system,
    shard: shardOf(system),
    part: { index: 0, count: 1 },
    chunk: { index: 0, count: 1 },
    upload_seq: 1,
    embedder: { name: 'hashing', model: HASHING_MODEL, dim: 384 },
    records: [record],
    rejected_ids: [],
  };
  const [vector] = await embedder.embed([record.content]);
  await store.writeShard(shardOf(system), [{ message, vectors: [vector!] }]);
}

type Hit = { system_id: string; id: string; entities?: unknown[] };

describe('search hits carry the entities their records mention', () => {
  let dir: string;
  let nats: TestNats;
  let filled: FilledGraph;
  let store: HotStore;
  let cache: QueryCache<SearchResponse>;
  let app: FastifyInstance;
  let base: string;
  const headers = (reader: string) => ({
    authorization: `Bearer ${reader}`,
    'content-type': 'application/json',
  });
  const search = async (reader: string, body: object) => {
    const res = await fetch(`${base}/api/v1/search`, {
      method: 'POST',
      headers: headers(reader),
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as SearchResponse & { results: Hit[] };
  };
  const hitOf = (answer: { results: Hit[] }, id: string) => answer.results.find((h) => h.id === id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-graph-search-'));
    [nats, filled] = await Promise.all([startTestNats(), openFilledGraph()]);
    store = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
    await writeRecord(store, A, await embeddedRecord('a-rec-1', TEXT_A));
    await writeRecord(store, B, await embeddedRecord('b-rec-1', TEXT_B));
    const log = createLogger('silent');
    cache = new QueryCache<SearchResponse>({
      enabled: true,
      redisUrl: null,
      l1Entries: 100,
      ttlSeconds: 600,
      log,
      metrics: createMetrics(),
    });
    app = buildHttpServer({
      js: nats.js,
      maxPayloadBytes: 1 << 20,
      metrics: createMetrics(),
      embedder,
      store,
      graph: filled.graph,
      search: new SearchService(store, embedder, { partTimeoutMs: 5000, cache }),
      readiness: apiReadiness(nats.url),
      authenticator: readerTokens,
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await cache.close();
    await store.close();
    await filled.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds entities to a linked hit over HTTP, and none to a hit whose record mentions nothing', async () => {
    const answer = await search('everyone', { query: TEXT_A, limit: 5, threshold: 0 });
    expect(answer.results.map((h) => h.id).sort()).toEqual(['a-rec-1', 'b-rec-1']);
    expect(hitOf(answer, 'a-rec-1')!.entities).toEqual([
      { entity_id: ALICE, entity_type: 'person', name: 'Alice' },
      { entity_id: AKOSHA, entity_type: 'project', name: 'Akosha' },
    ]);
    expect(hitOf(answer, 'b-rec-1')).not.toHaveProperty('entities');
  });

  it('adds them to the hits of search_all_systems as well', async () => {
    const res = await fetch(`${base}/mcp/tools/call`, {
      method: 'POST',
      headers: headers('only-a'),
      body: JSON.stringify({
        name: 'search_all_systems',
        arguments: { query: TEXT_A, threshold: 0 },
      }),
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Hit[] };
    expect(results.map((h) => h.id)).toEqual(['a-rec-1']);
    expect(results[0]!.entities).toHaveLength(2);
  });

  it('attaches entities after the query cache: a cached answer shows a mention added since', async () => {
    const query = { query: TEXT_B, limit: 5, threshold: 0 };
    const first = await search('everyone', query);
    expect(hitOf(first, 'b-rec-1')).not.toHaveProperty('entities');
    await filled.graph.apply(
      GraphMessage.parse({
        schema_version: 1,
        system_id: B,
        batch_id: 'batch-b-mentions',
        created_at: '2026-11-21T10:00:00.000Z',
        mentions: [{ record_id: 'b-rec-1', entity: { name: 'DuckDB', entity_type: 'tool' } }],
      }),
    );
    const second = await search('everyone', query);
    expect(second.cache).toBe('hit');
    expect(hitOf(second, 'b-rec-1')!.entities).toEqual([
      { entity_id: DUCKDB, entity_type: 'tool', name: 'DuckDB' },
    ]);
  });
});
