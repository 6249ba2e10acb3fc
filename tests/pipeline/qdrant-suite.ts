import type { Pipeline } from '../../app/pipeline';
import type { SearchResponse } from '../../api/search';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { QdrantIndex } from '../../storage/vector-index/qdrant-index';
import { post } from '../helpers/http';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import type { RecordingQdrant } from '../helpers/qdrant/server';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const SYSTEM = 'qdrant-pipeline-host';
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/**
 * The pipeline with its hot vectors in Qdrant, end to end: a writer process stores uploads
 * and upserts their points, an API process without any shard searches hot in Qdrant and asks
 * the writer for warm, a hot → warm move deletes the moved points, a Qdrant outage leaves
 * the writes in DuckDB and the upkeep re-syncs them once Qdrant answers again, and with the
 * writer gone the API process still finds the hot records. `qdrant` stands between the
 * pipeline and the server (the recording server, or a proxy to a real Qdrant): it checks
 * every request and can play an outage.
 */
export function runQdrantPipelineSuite(name: string, qdrantOf: () => Promise<RecordingQdrant>) {
  describe(`pipeline with its hot vectors in Qdrant: ${name}`, () => {
    const collection = `akosha_e2e_${process.pid}_${Date.now()}`;
    let nats: TestNats;
    let qdrant: RecordingQdrant;
    let writer: Pipeline;
    let api: Pipeline;
    let inspect: QdrantIndex;
    let ingested = 0;

    beforeAll(async () => {
      nats = await startTestNats();
      qdrant = await qdrantOf();
      inspect = new QdrantIndex({ url: qdrant.url, collection });
      const settings = {
        AKOSHA_VECTOR_STORE: 'qdrant',
        AKOSHA_QDRANT_URL: qdrant.url,
        AKOSHA_QDRANT_COLLECTION: collection,
        AKOSHA_QDRANT_TIMEOUT_MS: '3000',
        AKOSHA_OUTBOX_SWEEP_MS: '300', // the upkeep repairs stale shards this often
        AKOSHA_QUERY_CACHE: 'off', // tier moves do not invalidate cached answers
      };
      writer = await startTestPipeline(testConfig(nats.url, settings), ['ingest', 'writer']);
      api = await startTestPipeline(testConfig(nats.url, settings), ['api']);
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      await writer?.close();
      await inspect?.client.deleteCollection(collection).catch(() => undefined);
      await qdrant?.stop();
      await nats?.stop();
    });
    afterEach(() => expect(qdrant.problems).toEqual([]));

    const ingest = async (uploadId: string, records: ReturnType<typeof record>[]) => {
      await publishUpload(nats.js, upload(SYSTEM, uploadId, records), { maxPayloadBytes: 1 << 20 });
      ingested++;
      await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
        until: (n) => n === ingested,
        what: `upload ${uploadId} stored`,
      });
    };
    const pointIds = async () => {
      const ids: string[] = [];
      for await (const page of inspect.scroll(undefined, ['id']))
        ids.push(...page.map((p) => String(p.payload.id)));
      return ids.sort();
    };
    const search = async (query: string) => {
      const res = await post(api.httpAddress!, '/api/v1/search', {
        query,
        system_id: SYSTEM,
        limit: 10,
      });
      const body = (await res.json()) as SearchResponse;
      expect({ status: res.status, body }).toMatchObject({ status: 200 });
      return body;
    };
    const tiers = (r: SearchResponse) => Object.fromEntries(r.results.map((h) => [h.id, h.tier]));
    const hotKeys = () => writer.store!.keys(shardOf(SYSTEM));

    it('upserts the points of an ingested upload; an API process searches them in Qdrant', async () => {
      await ingest('qdrant-1', [
        record('r-new', 'fresh memory about qdrant collections', { timestamp: daysAgo(1) }),
        record('r-old', 'month old memory about warm summaries', { timestamp: daysAgo(30) }),
      ]);
      await waitFor(pointIds, { until: (ids) => ids.length === 2, what: 'points upserted' });
      expect(await pointIds()).toEqual(['r-new', 'r-old']);
      const queries = qdrant.calls('query_points').length;
      const found = await search('memory about qdrant');
      expect(tiers(found)).toEqual({ 'r-new': 'hot', 'r-old': 'hot' });
      expect(found.results.find((h) => h.id === 'r-new')!.content).toBe(
        'fresh memory about qdrant collections',
      );
      expect(qdrant.calls('query_points').length).toBeGreaterThan(queries);
    });

    it('deletes the points a hot → warm move took out of the hot tier', async () => {
      nats.nc.publish(
        subjects.aging('hot'),
        JSON.stringify({ schema_version: 1, tier: 'hot', requested_at: new Date().toISOString() }),
      );
      await waitFor(hotKeys, { until: (k) => k.length === 1, what: 'hot → warm' });
      await waitFor(pointIds, { until: (ids) => ids.length === 1, what: 'moved point deleted' });
      expect(await pointIds()).toEqual(['r-new']);
      const found = await search('memory about qdrant');
      expect(tiers(found)).toEqual({ 'r-new': 'hot', 'r-old': 'warm' });
      expect(found.partial).toBe(false);
    });

    it('stores while Qdrant is down; the upkeep re-syncs the shard when it is back', async () => {
      qdrant.outage = { status: 503 };
      await ingest('qdrant-2', [
        record('r-late', 'memory stored while qdrant was down', { timestamp: daysAgo(2) }),
      ]);
      expect(await hotKeys()).toContain(`${SYSTEM}/r-late`);
      await waitFor(() => writer.store!.staleIndexShards, {
        until: (s) => s.includes(shardOf(SYSTEM)),
        what: 'shard marked stale',
      });
      qdrant.outage = undefined;
      await waitFor(pointIds, { until: (ids) => ids.includes('r-late'), what: 'shard re-synced' });
      await waitFor(() => writer.store!.staleIndexShards, {
        until: (s) => s.length === 0,
        what: 'no shard stale',
      });
      expect(await pointIds()).toEqual(['r-late', 'r-new']);
    });

    it('answers hot searches with no writer running', async () => {
      await writer.close();
      const found = await search('memory about qdrant');
      expect(tiers(found)).toEqual({ 'r-late': 'hot', 'r-new': 'hot' });
      // warm is the writer's: the answer says it is missing
      expect(found.partial).toBe(true);
    });
  });
}
