import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { z } from 'zod';
import { STREAM, subjects } from '../streams';
import type { AuditEvent } from './event';

export const AUDIT_LIST_MAX = 1000;
const DEFAULT_SINCE_MS = 86_400_000;
const FETCH_BATCH = 256;
const AGE_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** ISO-8601 time, or an age before `now`: 90s, 30m, 12h, 7d, 2w. */
export function parseSince(value: string, now = new Date()): Date | undefined {
  const age = /^(\d{1,9})([smhdw])$/.exec(value);
  if (age) return new Date(now.getTime() - Number(age[1]) * AGE_UNITS_MS[age[2]!]!);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** The filters of `akosha audit list` and `GET /api/v1/audit`, checked the same way. */
export const AuditQuery = z.object({
  since: z
    .string()
    .max(64)
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return new Date(Date.now() - DEFAULT_SINCE_MS);
      const since = parseSince(raw);
      if (since) return since;
      ctx.addIssue({ code: 'custom', message: 'an ISO-8601 time or an age like 1h, 7d' });
      return z.NEVER;
    }),
  principal: z.string().min(1).max(200).optional(),
  action: z
    .string()
    // eslint-disable-next-line security/detect-unsafe-regex -- linear: each repeat starts with a literal '.'
    .regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, 'dotted lower-case tokens, e.g. dlq or dlq.purge')
    .max(200)
    .optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_LIST_MAX).default(100),
});
export type AuditQuery = z.output<typeof AuditQuery>;

export interface StoredAuditEvent extends AuditEvent {
  /** AKOSHA_AUDIT sequence */
  seq: number;
}

export interface AuditPage {
  /** oldest first, from `since` */
  events: StoredAuditEvent[];
  /** more events match after the last one: ask again with a later `since` or a bigger limit */
  truncated: boolean;
}

/**
 * Reads the trail with ordered consumers that start at `since` and select by subject, so
 * only matching actions are sent: `dlq` reads `akosha.audit.dlq` and `akosha.audit.dlq.>`
 * (2.9 takes one filter per consumer, hence two reads merged by sequence).
 */
export async function listAuditEvents(js: JetStreamClient, query: AuditQuery): Promise<AuditPage> {
  const filters = query.action
    ? [subjects.audit(query.action), subjects.audit(`${query.action}.>`)]
    : [subjects.audit('>')];
  const reads = await Promise.all(filters.map((f) => readMatching(js, f, query)));
  const events = reads.flat().sort((a, b) => a.seq - b.seq);
  return { events: events.slice(0, query.limit), truncated: events.length > query.limit };
}

/** Up to limit + 1 matching events (the extra one says whether there are more). */
async function readMatching(
  js: JetStreamClient,
  filter: string,
  query: AuditQuery,
): Promise<StoredAuditEvent[]> {
  const consumer = await js.consumers.get(STREAM.audit, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: query.since.toISOString(),
  });
  let pending = (await consumer.info()).num_pending;
  const found: StoredAuditEvent[] = [];
  while (pending > 0 && found.length <= query.limit) {
    const batch = await consumer.fetch({
      max_messages: Math.min(pending, FETCH_BATCH),
      expires: 5000,
    });
    let received = 0;
    for await (const m of batch) {
      received++;
      pending = m.info.pending;
      const event = decode(m.data, m.seq);
      if (event && (!query.principal || event.principal === query.principal)) found.push(event);
      if (found.length > query.limit) break;
    }
    if (received === 0) break;
  }
  return found;
}

function decode(data: Uint8Array, seq: number): StoredAuditEvent | undefined {
  try {
    return { ...(JSON.parse(new TextDecoder().decode(data)) as AuditEvent), seq };
  } catch {
    return undefined; // not ours: something else published on akosha.audit.>
  }
}
