import { Announcer } from '../../consumers/announcer';
import { ShardWriter } from '../../consumers/shard-writer';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import type { IngestedEvent } from '../../schemas/ingested';
import { shardOf } from '../../schemas/ids';
import type { ChunkInput } from '../../storage';
import { groupOfShard, subjects } from '../../streams/subjects';
import { FakeDeadLetters } from '../fakes/fake-dead-letters';
import { FakeHandOff } from '../fakes/fake-hand-off';
import { jsonMsg } from '../fakes/fake-msg';
import { MemoryShardSink } from '../fakes/memory-shard-sink';
import { notConnected } from '../fakes/not-connected';
import { waitFor } from '../helpers/wait-for';
import { chunkInput, embeddedRecord, splitUpload } from '../storage/chunk-inputs';

const GROUPS = 16;
const SYSTEM = 'writer-host';
const SHARD = shardOf(SYSTEM);
const GROUP = groupOfShard(SHARD, GROUPS);
const RETRY = { maxDeliver: 4, backoffMs: [100, 200, 400] };
const at = '2026-11-20T10:00:00Z';

/** The shard writer over an in-memory sink; its announcer is the real one, on a fake hand-off. */
function shardWriter(fence?: () => boolean) {
  const sink = new MemoryShardSink(HASHING_MODEL);
  const events = new FakeHandOff();
  const deadLetters = new FakeDeadLetters();
  const metrics = createMetrics();
  const log = createLogger('silent');
  const announcer = new Announcer({ nc: notConnected, events, store: sink, metrics, log });
  const writer = new ShardWriter(
    {
      nc: notConnected,
      store: sink,
      announcer,
      deadLetters,
      metrics,
      log,
      ...(fence && { fence }),
    },
    {
      groups: [GROUP],
      shardGroups: GROUPS,
      retry: RETRY,
      batchSize: 16,
      maxBatchBytes: 1024 * 1024,
      batchLingerMs: 0,
      ackWaitMs: 30_000,
    },
  );
  return { writer, sink, events, deadLetters, metrics };
}

/** A chunk as the embed stage hands it off, delivered to the writer. */
const chunkMsg = (input: ChunkInput, seq = 1, delivery = 1) =>
  jsonMsg(subjects.embedded(GROUP, input.message.shard), input.message, seq, delivery);

const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => embeddedRecord(`${prefix}-${i}`, `${prefix} text ${i}`, at));

describe('ShardWriter (in-memory sink)', () => {
  it('writes, announces the upload once it is whole, then acks', async () => {
    const { writer, sink, events } = shardWriter();
    const msg = chunkMsg(chunkInput(SYSTEM, 'u-1', records('w', 3)));
    await writer.handleBatch([msg]);

    expect(msg.settlement).toBe('ack');
    expect(sink.storedIds(SHARD)).toEqual(['w-0', 'w-1', 'w-2']);
    const [event] = events.stored;
    expect(event?.subject).toBe(subjects.ingested(SYSTEM));
    expect(JSON.parse(event!.data) as IngestedEvent).toMatchObject({
      upload_id: 'u-1',
      counts: { stored: 3, duplicate: 0 },
    });
    expect(sink.isAnnounced(SHARD, SYSTEM, 'u-1')).toBe(true);
  });

  it('announces a split upload only with its last chunk', async () => {
    const { writer, sink, events } = shardWriter();
    const [a, b, c] = splitUpload(SYSTEM, 'u-split', records('s', 6), 1, 3).map((i) => chunkMsg(i));
    await writer.handleBatch([a!, c!]);
    expect(events.stored).toEqual([]);
    await writer.handleBatch([b!]);
    expect([a, b, c].map((m) => m!.settlement)).toEqual(['ack', 'ack', 'ack']);
    expect(events.stored.map((e) => JSON.parse(e.data).parts)).toEqual([1]);
    expect(sink.storedIds(SHARD)).toHaveLength(6);
  });

  it('acks a redelivered chunk without writing or announcing it again; counts duplicates', async () => {
    const { writer, sink, events, metrics } = shardWriter();
    const msg = chunkMsg(chunkInput(SYSTEM, 'u-2', records('d', 2)));
    await writer.handleBatch([msg]);
    const again = msg.redelivered();
    await writer.handleBatch([again]);
    expect(again.settlement).toBe('ack');
    expect(sink.transactions).toBe(2);
    expect(events.stored).toHaveLength(1);

    const copy = chunkMsg(chunkInput(SYSTEM, 'u-3', records('d', 2)), 2);
    await writer.handleBatch([copy]);
    expect(copy.settlement).toBe('ack');
    expect(sink.storedIds(SHARD)).toEqual(['d-0', 'd-1']);
    const counted = (await metrics.ingestRecords.get()).values;
    const count = (outcome: string) => counted.find((v) => v.labels.outcome === outcome)?.value;
    expect([count('stored'), count('duplicate')]).toEqual([2, 2]);
  });

  it('writes, announces and acks nothing while its lease does not hold', async () => {
    let holds = false;
    const { writer, sink, events } = shardWriter(() => holds);
    const msg = chunkMsg(chunkInput(SYSTEM, 'u-4', records('f', 1)));
    await writer.handleBatch([msg]);
    expect(msg.settlement).toBeUndefined(); // left for the new owner, after ack_wait
    expect(sink.transactions).toBe(0);

    // the lease lapses during the transaction: the sink's fence stops the COMMIT
    let checks = 0;
    const lapsing = shardWriter(() => ++checks === 1);
    const late = chunkMsg(chunkInput(SYSTEM, 'u-5', records('g', 1)));
    await lapsing.writer.handleBatch([late]);
    expect(late.settlement).toBeUndefined();
    expect(lapsing.sink.storedIds(SHARD)).toEqual([]);
    expect([events.stored, lapsing.events.stored]).toEqual([[], []]);

    holds = true;
    await writer.handleBatch([msg.redelivered()]);
    expect(sink.storedIds(SHARD)).toEqual(['f-0']);
  });

  it('naks with backoff when the sink fails, and dead-letters on the last delivery', async () => {
    const { writer, sink, deadLetters } = shardWriter();
    sink.failNextWrites(new Error('Connection Error: database is closed'));
    const msg = chunkMsg(chunkInput(SYSTEM, 'u-6', records('n', 1)));
    await writer.handleBatch([msg]);
    expect([msg.settlement, msg.nakDelayMs]).toEqual(['nak', RETRY.backoffMs[0]]);
    expect(deadLetters.letters).toEqual([]);

    sink.failNextWrites(new Error('Connection Error: database is closed'));
    const last = chunkMsg(chunkInput(SYSTEM, 'u-6', records('n', 1)), 1, RETRY.maxDeliver);
    await writer.handleBatch([last]);
    expect(last.settlement).toBe('term');
    expect(deadLetters.letters).toMatchObject([{ stage: 'write', code: 'RETRIES_EXHAUSTED' }]);
  });

  it('stalls on a full disk, keeps the messages, and writes them once space is back', async () => {
    const { writer, sink, deadLetters } = shardWriter();
    sink.failNextWrites(new Error('IO Error: No space left on device'));
    const msg = chunkMsg(chunkInput(SYSTEM, 'u-7', records('s', 1)));
    const handled = writer.handleBatch([msg]);
    const stalled = await waitFor(() => writer.stalled, { what: 'writer stalled' });
    expect(stalled).toMatchObject({ reason: 'disk_full', shards: [SHARD] });
    await handled;
    expect(msg.settlement).toBe('ack');
    expect(writer.stalled).toBeUndefined();
    expect(deadLetters.letters).toEqual([]);
  });

  it("dead-letters a forged chunk and another model's chunk; their batch-mates are written", async () => {
    const { writer, sink, deadLetters } = shardWriter();
    const forged = chunkInput(SYSTEM, 'u-forged', records('x', 1));
    forged.message.records[0]!.content = 'changed after hashing';
    const other = chunkInput(SYSTEM, 'u-other', records('o', 1));
    other.message.embedder = { ...other.message.embedder, model: 'another-model' };
    const good = chunkInput(SYSTEM, 'u-good', records('ok', 1));
    const msgs = [chunkMsg(forged, 1), chunkMsg(other, 2), chunkMsg(good, 3)];
    await writer.handleBatch(msgs);

    expect(msgs.map((m) => m.settlement)).toEqual(['term', 'term', 'ack']);
    expect(deadLetters.codes()).toEqual(['CHUNK_CHECKSUM_MISMATCH', 'EMBEDDER_MISMATCH']);
    expect(sink.storedIds(SHARD)).toEqual(['ok-0']);
  });
});
