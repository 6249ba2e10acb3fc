import { decodeChunk } from '../../consumers/decode-chunk';
import { EmbedStage } from '../../consumers/embed-stage';
import { embeddedMsgId } from '../../consumers/embedded-chunks';
import { HashingEmbedder } from '../../embedding/hashing-embedder';
import { createLogger } from '../../infra/logger';
import { createMetrics } from '../../infra/metrics';
import type { EmbeddedMessage } from '../../schemas/embedded';
import { shardOf } from '../../schemas/ids';
import { groupOfShard, subjects } from '../../streams/subjects';
import { FakeDeadLetters } from '../fakes/fake-dead-letters';
import { FakeHandOff } from '../fakes/fake-hand-off';
import { FakeMsg, jsonMsg } from '../fakes/fake-msg';
import { FlakyEmbedder } from '../fakes/flaky-embedder';
import { notConnected } from '../fakes/not-connected';
import { record, upload } from '../helpers/uploads';

const GROUPS = 16;
const RETRY = { maxDeliver: 4, backoffMs: [100, 200, 400] };

/** The embed stage over fakes: its hand-off, dead letters and embedder are in memory. */
function embedStage() {
  const handOff = new FakeHandOff();
  const deadLetters = new FakeDeadLetters();
  const embedder = new FlakyEmbedder();
  const stage = new EmbedStage(
    {
      nc: notConnected,
      handOff,
      embedder,
      deadLetters,
      metrics: createMetrics(),
      log: createLogger('silent'),
      maxPayloadBytes: 1024 * 1024,
    },
    {
      workers: 1,
      batchSize: 16,
      maxBatchBytes: 1024 * 1024,
      batchLingerMs: 0,
      ackWaitMs: 30_000,
      maxMessageBytes: 1024 * 1024,
      shardGroups: GROUPS,
      retry: RETRY,
    },
  );
  return { stage, handOff, deadLetters, embedder };
}

/** An upload message on its subject, as the producer publishes it. */
const uploadMsg = (systemId: string, uploadId: string, records: unknown[], seq = 1, delivery = 1) =>
  jsonMsg(
    subjects.upload(shardOf(systemId), systemId),
    upload(systemId, uploadId, records),
    seq,
    delivery,
  );

describe('EmbedStage (fakes)', () => {
  it('hands each upload to its shard group with its vectors, then acks it', async () => {
    const { stage, handOff, deadLetters } = embedStage();
    const msg = uploadMsg(
      'embed-host',
      'u-1',
      [record('a', 'first text'), record('b', 'second')],
      7,
    );
    await stage.handleBatch([msg]);

    expect(msg.settlement).toBe('ack');
    expect(deadLetters.letters).toEqual([]);
    const shard = shardOf('embed-host');
    const [sent] = handOff.stored;
    expect(sent?.subject).toBe(subjects.embedded(groupOfShard(shard, GROUPS), shard));
    const chunk = JSON.parse(sent!.data) as EmbeddedMessage;
    expect(sent?.msgID).toBe(embeddedMsgId(chunk));
    expect(chunk).toMatchObject({ upload_id: 'u-1', shard, upload_seq: 7, rejected_ids: [] });
    // the shard writer accepts what the embed stage hands off
    const owner = { groups: [groupOfShard(shard, GROUPS)], groupCount: GROUPS };
    const input = decodeChunk({ subject: sent!.subject, data: Buffer.from(sent!.data) }, owner);
    if (!('vectors' in input)) throw input;
    expect(input.vectors[0]).toEqual(new HashingEmbedder().embedOne('first text'));
  });

  it('dead-letters a bad record alone; the rest of its upload goes on', async () => {
    const { stage, handOff, deadLetters } = embedStage();
    const bad = { ...record('bad', 'short vector'), embedding: [0.1, 0.2, 0.3] };
    const msg = uploadMsg('embed-host', 'u-2', [record('good', 'fine'), bad]);
    await stage.handleBatch([msg]);

    expect(msg.settlement).toBe('ack');
    expect(deadLetters.letters).toMatchObject([
      { stage: 'validate', code: 'EMBEDDING_DIMENSION', record_id: 'bad', payload_kind: 'record' },
    ]);
    const [chunk] = handOff.bodies<EmbeddedMessage>();
    expect(chunk?.records.map((r) => r.id)).toEqual(['good']);
    expect(chunk?.rejected_ids).toEqual(['bad']);
  });

  it('dead-letters and terminates a bad message; its batch-mates go on', async () => {
    const { stage, handOff, deadLetters } = embedStage();
    const garbled = new FakeMsg(subjects.upload(shardOf('embed-host'), 'embed-host'), '{"nope', 2);
    const misrouted = jsonMsg(
      subjects.upload(1, 'other-host'),
      upload('embed-host', 'u-x', [record('x', 'misrouted')]),
      3,
    );
    const good = uploadMsg('embed-host', 'u-3', [record('c', 'third')], 4);
    await stage.handleBatch([garbled, misrouted, good]);

    expect([garbled, misrouted, good].map((m) => m.settlement)).toEqual(['term', 'term', 'ack']);
    expect(deadLetters.codes().sort()).toEqual(['MALFORMED_JSON', 'SUBJECT_MISMATCH']);
    expect(deadLetters.letters.map((l) => l.stream_seq).sort()).toEqual([2, 3]);
    expect(handOff.bodies<EmbeddedMessage>().map((c) => c.upload_id)).toEqual(['u-3']);
  });

  it('naks with backoff while the embedder fails, and hands off on the redelivery', async () => {
    const { stage, handOff, deadLetters, embedder } = embedStage();
    embedder.failures = 1;
    const first = uploadMsg('embed-host', 'u-4', [record('d', 'fourth')]);
    await stage.handleBatch([first]);
    expect([first.settlement, first.nakDelayMs]).toEqual(['nak', RETRY.backoffMs[0]]);
    expect(handOff.stored).toEqual([]);

    const again = first.redelivered();
    await stage.handleBatch([again]);
    expect(again.settlement).toBe('ack');
    expect(handOff.stored).toHaveLength(1);
    expect(deadLetters.letters).toEqual([]);
  });

  it('dead-letters RETRIES_EXHAUSTED on the last delivery', async () => {
    const { stage, deadLetters, embedder } = embedStage();
    embedder.failures = 1;
    const last = uploadMsg('embed-host', 'u-5', [record('e', 'fifth')], 1, RETRY.maxDeliver);
    await stage.handleBatch([last]);
    expect(last.settlement).toBe('term');
    expect(deadLetters.letters).toMatchObject([
      { stage: 'embed', code: 'RETRIES_EXHAUSTED', upload_id: 'u-5', delivery_count: 4 },
    ]);
  });

  it('naks when the hand-off fails, and when a dead letter cannot be published', async () => {
    const { stage, handOff, deadLetters } = embedStage();
    handOff.failNext(new Error('maximum bytes exceeded'));
    const unsent = uploadMsg('embed-host', 'u-6', [record('f', 'sixth')]);
    await stage.handleBatch([unsent]);
    expect([unsent.settlement, unsent.nakDelayMs]).toEqual(['nak', RETRY.backoffMs[0]]);

    deadLetters.failNext();
    const garbled = new FakeMsg(subjects.upload(shardOf('embed-host'), 'embed-host'), 'not json');
    await stage.handleBatch([garbled]);
    expect(garbled.settlement).toBe('nak'); // never terminated without its letter
    expect(deadLetters.letters).toEqual([]);
  });

  it('closes its hand-off when it stops', async () => {
    const { stage, handOff } = embedStage();
    await stage.stop();
    expect(handOff.closed).toBe(true);
  });
});
