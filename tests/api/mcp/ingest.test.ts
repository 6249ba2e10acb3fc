import type { JetStreamClient } from '@nats-io/jetstream';
import {
  prepareMemories,
  stableJson,
  toRecordId,
  uploadsOf,
  type MemoryInput,
  type PushContext,
} from '../../../api/mcp/ingest';
import { unitVector } from '../../helpers/uploads';

const ctx = (over: Partial<PushContext> = {}): PushContext => ({
  js: {} as JetStreamClient,
  maxPayloadBytes: 1 << 20,
  tool: 'batch_store_memories',
  now: new Date('2026-11-28T12:00:00Z'),
  ...over,
});
const prepare = (inputs: MemoryInput[], c = ctx()) =>
  prepareMemories(
    inputs.map((input, index) => ({ index, input })),
    () => 'conversation',
    c,
  );

describe('MCP push: memories → upload records', () => {
  it('keeps a valid record id and maps an invalid one deterministically', () => {
    expect(toRecordId('conv:2026-11-20.1')).toBe('conv:2026-11-20.1');
    const mapped = toRecordId('a b/c');
    expect(mapped).toMatch(/^a-b-c:[0-9a-f]{32}$/);
    expect(toRecordId('a b/c')).toBe(mapped);
    expect(toRecordId('a b\\c')).not.toBe(mapped);
    expect(toRecordId('x'.repeat(500)).length).toBeLessThanOrEqual(128);
  });

  it.each([
    ['2026-11-20T10:00:00+00:00', '2026-11-20T10:00:00+00:00'],
    ['2026-11-20T10:00:00.123456', '2026-11-20T10:00:00.123456'],
    ['2026-11-20 10:00:00.5+02:00', '2026-11-20T10:00:00.5+02:00'],
    ['Fri, 20 Nov 2026 10:00:00 GMT', '2026-11-20T10:00:00.000Z'],
    [undefined, '2026-11-28T12:00:00.000Z'],
  ])('takes the timestamp from created_at %j', (created_at, expected) => {
    const { prepared } = prepare([
      { memory_id: 'm', text: 't', metadata: created_at ? { created_at } : {} },
    ]);
    expect(prepared[0]!.record.timestamp).toBe(expected);
  });

  it('uses metadata.source, then the system_id argument, then "mcp"', () => {
    const inputs = [
      { memory_id: 'a', text: 't', metadata: { source: 'laptop.lan' } },
      { memory_id: 'b', text: 't', metadata: null },
    ];
    expect(prepare(inputs).prepared.map((p) => p.system_id)).toEqual(['laptop-lan', 'mcp']);
    const withArg = prepare(inputs, ctx({ systemId: 'ci-runner' })).prepared;
    expect(withArg.map((p) => p.system_id)).toEqual(['laptop-lan', 'ci-runner']);
    expect(withArg[0]!.warnings).toEqual(['system_id "laptop.lan" normalised to "laptop-lan"']);
  });

  it('drops a vector the embed stage would reject, and names bad fields as the caller sent them', () => {
    const { prepared, failures } = prepare([
      { memory_id: 'zero', text: 't', embedding: new Array(384).fill(0) },
      { memory_id: 'ok', text: 't', embedding: unitVector(1) },
      {
        memory_id: 'both',
        text: 't',
        embedding: [1, 2],
        metadata: { project: 'p'.repeat(201), tags: [1] },
      },
    ]);
    expect(prepared.map((p) => [p.memory_id, p.record.embedding?.length ?? null])).toEqual([
      ['zero', null],
      ['ok', 384],
    ]);
    expect(failures).toEqual([
      expect.objectContaining({
        index: 2,
        memory_id: 'both',
        issues: [expect.objectContaining({ path: 'metadata.project' })],
      }),
    ]);
  });

  it('derives the upload id from the memories as sent: same call, same id; one upload per system', () => {
    const inputs = [
      { memory_id: 'a', text: 't', metadata: { source: 's1' } },
      { memory_id: 'b', text: 't', metadata: { source: 's2' } },
    ];
    const first = uploadsOf(prepare(inputs).prepared, ctx());
    const later = ctx({ now: new Date('2026-11-28T12:01:00Z') });
    const again = uploadsOf(prepare(inputs, later).prepared, later);
    expect(first.map((u) => u.system_id)).toEqual(['s1', 's2']);
    expect(again.map((u) => u.upload_id)).toEqual(first.map((u) => u.upload_id));
    expect(first[0]!.upload_id).not.toBe(first[1]!.upload_id);
    const otherTool = uploadsOf(prepare(inputs).prepared, ctx({ tool: 'store_memory' }));
    expect(otherTool[0]!.upload_id).not.toBe(first[0]!.upload_id);
  });

  it('hashes objects whatever their key order', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(
      stableJson({ a: [{ c: 3, d: 2 }], b: 1 }),
    );
  });
});
