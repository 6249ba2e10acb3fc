import { pieceBatchId, publishGraph, splitGraphMessage } from '../../producers/publish-graph';
import { GraphMessage, type GraphMessageInput } from '../../schemas/graph';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { readStream } from '../helpers/streams';

const NOW = '2026-11-28T12:00:00.000Z';

function bigGraph(systemId: string, batchId: string, n: number): GraphMessageInput {
  const entities = Array.from({ length: n }, (_, i) => ({
    source_id: `e${i}`,
    name: `Entity ${i}`,
    entity_type: 'concept',
    observations: [`observation about entity ${i} `.repeat(20)],
    updated_at: NOW,
  }));
  const relations = Array.from({ length: n - 1 }, (_, i) => ({
    source_id: `r${i}`,
    from: { name: `Entity ${i}`, entity_type: 'concept' },
    to: { name: `Entity ${i + 1}` },
    relation_type: 'relates_to',
    updated_at: NOW,
  }));
  const mentions = [
    ...Array.from({ length: n }, (_, i) => ({
      record_id: `rec-${i}`,
      entity: { name: `entity ${i}`, entity_type: 'Concept' },
    })),
    { record_id: 'rec-loose', entity: { name: 'nobody here' } },
  ];
  return {
    schema_version: 1,
    system_id: systemId,
    batch_id: batchId,
    created_at: NOW,
    entities,
    relations,
    mentions,
  };
}

describe('publishGraph', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(() => nats.stop());

  it('splits a large message in order, entities with their mentions, losing and repeating nothing', () => {
    const whole = GraphMessage.parse(bigGraph('dev-box', 'b1', 120));
    const pieces = splitGraphMessage(whole, 16 * 1024);
    expect(pieces.length).toBeGreaterThan(3);
    pieces.forEach((p, i) => {
      expect(p.batch_id).toBe(`b1_${i + 1}`);
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(16 * 1024);
      expect(GraphMessage.safeParse(p).success).toBe(true);
    });
    expect(pieces.flatMap((p) => p.entities.map((e) => e.source_id))).toEqual(
      whole.entities.map((e) => e.source_id),
    );
    expect(pieces.flatMap((p) => p.relations.map((r) => r.source_id))).toEqual(
      whole.relations.map((r) => r.source_id),
    );
    const mentions = pieces.flatMap((p) => p.mentions.map((m) => m.record_id));
    expect([...mentions].sort()).toEqual(whole.mentions.map((m) => m.record_id).sort());
    // every mention of an entity travels in that entity's message
    for (const p of pieces)
      for (const e of p.entities)
        expect(p.mentions.map((m) => m.record_id)).toContain(`rec-${e.source_id.slice(1)}`);
    // relations come after every entity, the loose mention last
    const firstRelation = pieces.findIndex((p) => p.relations.length > 0);
    const lastEntity = pieces.reduce((last, p, i) => (p.entities.length > 0 ? i : last), -1);
    expect(firstRelation).toBeGreaterThanOrEqual(lastEntity);
    expect(pieces.at(-1)!.mentions.at(-1)!.record_id).toBe('rec-loose');
  });

  it('keeps a split batch id within 100 characters, distinct per long batch id', () => {
    const long = 'a'.repeat(99);
    const id = pieceBatchId(long, 12);
    expect(id.length).toBeLessThanOrEqual(100);
    expect(id.endsWith('_12')).toBe(true);
    expect(pieceBatchId(`${'a'.repeat(98)}b`, 12)).not.toBe(id);
    expect(pieceBatchId('short', 3)).toBe('short_3');
  });

  it('publishes each piece on the system subject once; a second publish is all duplicates', async () => {
    const message = bigGraph('graph-box', 'batch-7', 80);
    const first = await publishGraph(nats.js, message, { maxPayloadBytes: 24 * 1024 });
    const again = await publishGraph(nats.js, message, { maxPayloadBytes: 24 * 1024 });
    expect(first.messages).toBeGreaterThan(1);
    expect(first.duplicates).toBe(0);
    expect(again).toEqual({ messages: first.messages, duplicates: first.messages });
    const stored = await readStream<GraphMessage>(nats.nc, nats.js, STREAM.graph);
    expect(stored).toHaveLength(first.messages);
    expect(stored[0]!.subject).toBe(`akosha.graph.${shardOf('graph-box')}.graph-box`);
    expect(stored.flatMap((m) => m.data.entities.map((e) => e.source_id))).toHaveLength(80);
  });

  it('publishes a small message whole under its own batch id', async () => {
    const result = await publishGraph(nats.js, bigGraph('small-box', 'one', 2), {
      maxPayloadBytes: 1 << 20,
    });
    expect(result).toEqual({ messages: 1, duplicates: 0 });
    const stored = await readStream<GraphMessage>(
      nats.nc,
      nats.js,
      STREAM.graph,
      'akosha.graph.*.small-box',
    );
    expect(stored.map((m) => m.data.batch_id)).toEqual(['one']);
  });

  it('refuses an invalid message with the schema issues', async () => {
    const bad = { ...bigGraph('dev.box', 'b', 1) };
    await expect(publishGraph(nats.js, bad, { maxPayloadBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
      issues: [expect.objectContaining({ path: 'system_id' })],
    });
  });
});
