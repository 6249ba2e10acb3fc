import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterPublisher } from '../../consumers/dead-letters';
import { GraphConsumer } from '../../consumers/graph';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import { publishGraph } from '../../producers/publish-graph';
import { openGraphStore } from '../../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../../storage/graph/types';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { streamMessageCount } from '../helpers/streams';
import { waitFor } from '../helpers/wait-for';

const NOW = '2026-11-28T12:00:00Z';

describe('GraphConsumer', () => {
  let nats: TestNats;
  let dir: string;
  let store: GraphStore;
  let consumer: GraphConsumer;
  const metrics = createMetrics();
  const deliveries: number[] = [];
  let failNext = 1;

  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    dir = mkdtempSync(join(tmpdir(), 'akosha-graph-consumer-'));
    store = await openGraphStore(join(dir, 'graph.duckdb'));
    // the store fails its first apply, as a full disk would
    const flaky: GraphStore = Object.create(store) as GraphStore;
    flaky.apply = async (message) => {
      if (failNext-- > 0) throw new Error('IO Error: No space left on device');
      return store.apply(message);
    };
    consumer = new GraphConsumer(
      {
        nc: nats.nc,
        store: flaky,
        deadLetters: new DeadLetterPublisher(nats.js, metrics),
        metrics,
        log: createLogger('silent'),
      },
      {
        batchSize: 16,
        maxBatchBytes: 1 << 20,
        batchLingerMs: 0,
        ackWaitMs: 30_000,
        maxMessageBytes: 1 << 20,
        retry: { maxDeliver: 5, backoffMs: [100] },
      },
    );
    const handle = consumer.handleBatch.bind(consumer);
    consumer.handleBatch = (batch) => {
      deliveries.push(...batch.map((m) => m.info.deliveryCount));
      return handle(batch);
    };
    await consumer.start();
  });
  afterAll(async () => {
    await consumer.stop();
    await store.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries a message the store failed on, with backoff, and applies it; no dead letter', async () => {
    await publishGraph(
      nats.js,
      {
        schema_version: 1,
        system_id: 'sys-retry',
        batch_id: 'b1',
        created_at: NOW,
        entities: [{ source_id: 'e1', name: 'Redis', entity_type: 'tool', updated_at: NOW }],
      },
      { maxPayloadBytes: 1 << 20 },
    );
    await waitFor(() => store.counts(), { until: (c) => c.entityStatements === 1 });
    expect(deliveries).toEqual([1, 2]);
    expect(await streamMessageCount(nats.nc, 'AKOSHA_DLQ')).toBe(0);
    const outcomes = await metrics.ingestMessages.get();
    const ofGraph = outcomes.values.filter((v) => v.labels.stage === 'graph');
    expect(ofGraph).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { stage: 'graph', outcome: 'retried' }, value: 1 }),
        expect.objectContaining({ labels: { stage: 'graph', outcome: 'ok' }, value: 1 }),
      ]),
    );
  });
});
