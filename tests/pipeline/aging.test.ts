import type { Pipeline } from '../../app/pipeline';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';
import { publishUpload } from '../../producers/publish-upload';

const SYSTEM = 'aging-host';
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
const MEMORIES = [
  { id: 'r-new', days: 1, text: 'fresh memory about stream replay tooling' },
  { id: 'r-warm', days: 30, text: 'month old memory about warm tier summaries' },
  { id: 'r-cold', days: 200, text: 'old memory about parquet objects in the cold tier' },
  { id: 'r-expired', days: 3000, text: 'ancient memory past the retention period' },
];

describe('aging through the running pipeline', () => {
  let nats: TestNats;
  let pipeline: Pipeline;
  beforeAll(async () => {
    nats = await startTestNats();
    pipeline = await startTestPipeline(testConfig(nats.url), ['ingest', 'writer', 'api']);
    const records = MEMORIES.map((m) => record(m.id, m.text, { timestamp: daysAgo(m.days) }));
    await publishUpload(nats.js, upload(SYSTEM, 'aging-1', records), { maxPayloadBytes: 1 << 20 });
    await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
      until: (n) => n === 1,
      what: 'ingest',
    });
  });
  afterAll(async () => {
    await pipeline.close();
    await nats.stop();
  });

  const agingEvent = (tier: string) =>
    nats.nc.publish(
      `akosha.aging.${tier}`,
      JSON.stringify({ schema_version: 1, tier, requested_at: new Date().toISOString() }),
    );
  const hotKeys = () => pipeline.store!.keys(shardOf(SYSTEM));
  const warmKeys = () => pipeline.mover!.warm.keys(shardOf(SYSTEM));
  const search = async (query: string) => {
    const res = await fetch(`${pipeline.httpAddress}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, system_id: SYSTEM, limit: 10 }),
    });
    return ((await res.json()) as { results: { id: string; tier: string }[] }).results;
  };

  it('moves hot → warm → cold on age-threshold events, expires past retention, and still finds each record once', async () => {
    agingEvent('hot');
    await waitFor(hotKeys, { until: (k) => k.length === 1, what: 'hot → warm' });
    expect(await hotKeys()).toEqual([`${SYSTEM}/r-new`]);
    expect(await warmKeys()).toHaveLength(3);

    agingEvent('warm');
    await waitFor(warmKeys, { until: (k) => k.length === 1, what: 'warm → cold' });
    expect(await warmKeys()).toEqual([`${SYSTEM}/r-warm`]);

    // sizes are reported at the end of each pass, after retention ran
    const metrics = await waitFor(
      async () => (await fetch(`${pipeline.httpAddress}/metrics`)).text(),
      {
        until: (text) => /akosha_tier_bytes\{tier="cold"\} [1-9]/.test(text),
        what: 'tier sizes',
      },
    );
    expect(metrics).toMatch(
      /akosha_migration_records_total\{source_tier="hot",target_tier="warm",status="ok"\} 3/,
    );
    expect(metrics).toMatch(
      /akosha_migration_records_total\{source_tier="warm",target_tier="cold",status="ok"\} 2/,
    );
    // r-expired went cold, then past retention
    expect(metrics).toMatch(/akosha_tier_records\{tier="cold"\} 1\n/);
    const found = await search('memory about tier');
    const tierOf = Object.fromEntries(found.map((h) => [h.id, h.tier]));
    expect(tierOf).toEqual({ 'r-new': 'hot', 'r-warm': 'warm', 'r-cold': 'cold' });
    expect(found).toHaveLength(3);
  });

  it('restores warm and cold records of a system to hot', async () => {
    const restored = await pipeline.mover!.restore(SYSTEM);
    expect(restored).toMatchObject({ fromWarm: 1, fromCold: 1 });
    expect(await hotKeys()).toEqual([`${SYSTEM}/r-cold`, `${SYSTEM}/r-new`, `${SYSTEM}/r-warm`]);
    expect(await warmKeys()).toEqual([]);
  });

  it('ignores a malformed aging event and still acts on the next valid one', async () => {
    nats.nc.publish('akosha.aging.hot', '{"tier": "lukewarm"}');
    agingEvent('hot');
    // the restored records kept their age: the valid event moves them back to warm
    await waitFor(hotKeys, { until: (k) => k.length === 1, what: 'second aging pass' });
    expect(await warmKeys()).toEqual([`${SYSTEM}/r-cold`, `${SYSTEM}/r-warm`]);
  });
});
