import { jetstream } from '@nats-io/jetstream';
import {
  auditAction,
  encodeAuditEvent,
  NatsAuditSink,
  type DropReason,
} from '../../audit/publisher';
import { listAuditEvents } from '../../audit/reader';
import { createLogger } from '../../infra/logger';
import { startTestNats, startTestNatsWithStreams, type TestNats } from '../helpers/nats';

function counter() {
  const counts: Partial<Record<DropReason, number>> = {};
  return {
    counts,
    inc: ({ reason }: { reason: DropReason }) => void (counts[reason] = (counts[reason] ?? 0) + 1),
  };
}

const event = (action: string, detail: Record<string, unknown> = {}) => ({
  principal: 'tester',
  role: 'admin' as const,
  action,
  result: 'ok' as const,
  source: 'cli',
  detail,
});

describe('NatsAuditSink', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('publishes each event to akosha.audit.<action>; flush waits for every ack', async () => {
    const sink = new NatsAuditSink({ js: nats.js, log: createLogger('silent') });
    for (let i = 0; i < 50; i++) sink.record(event('memory.store', { i }));
    sink.record(event('Dlq.Requeue!'));
    await sink.flush();
    const page = await listAuditEvents(nats.js, { since: new Date(0), limit: 1000 });
    expect(page.events).toHaveLength(51);
    expect(page.events.at(-1)).toMatchObject({ action: 'dlq.requeue_', principal: 'tester' });
    expect(page.events.map((e) => e.detail?.i).slice(0, 50)).toEqual([...Array(50).keys()]);
  });

  it('drops what overflows its queue, counted, without waiting', () => {
    const dropped = counter();
    const sink = new NatsAuditSink({
      js: nats.js,
      log: createLogger('silent'),
      maxInFlight: 2,
      dropped,
    });
    for (let i = 0; i < 5; i++) sink.record(event('search'));
    expect(dropped.counts).toEqual({ overflow: 3 });
    return sink.flush();
  });

  it('gives up after its attempts when nothing stores the subject, and never throws', async () => {
    const bare = await startTestNats(); // no AKOSHA_AUDIT stream
    try {
      const dropped = counter();
      const warnings: unknown[] = [];
      const log = createLogger('silent');
      log.warn = ((obj: unknown) => void warnings.push(obj)) as typeof log.warn;
      const sink = new NatsAuditSink({
        js: jetstream(bare.nc),
        log,
        dropped,
        attempts: 2,
        retryDelayMs: 10,
        publishTimeoutMs: 1000,
      });
      expect(() => sink.record(event('token.create', { secretish: 'never logged' }))).not.toThrow();
      await sink.flush();
      expect(dropped.counts).toEqual({ failed: 1 });
      expect(JSON.stringify(warnings)).toContain('token.create');
      expect(JSON.stringify(warnings)).not.toContain('never logged');
    } finally {
      await bare.stop();
    }
  });

  it('names actions as subject tokens and truncates oversized details', () => {
    expect(auditAction('mcp.store_memory')).toBe('mcp.store_memory');
    expect(auditAction('a..b*>')).toBe('a._.b__');
    const big = encodeAuditEvent({ ...event('x', { blob: 'y'.repeat(100_000) }), at: 'now' });
    expect(JSON.parse(big)).toMatchObject({ action: 'x', detail: { truncated: true } });
  });
});
