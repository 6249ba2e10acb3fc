import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../infra';
import { subjects } from '../streams';
import type { AuditEvent, AuditSink } from './event';

export type DropReason = 'overflow' | 'failed';

export interface AuditPublisherOptions {
  js: JetStreamClient;
  log: Logger;
  /** akosha_audit_dropped_total */
  dropped?: { inc(labels: { reason: DropReason }): void };
  /** events waiting for their ack; past it new events are dropped, not queued */
  maxInFlight?: number;
  /** attempts per event (a timeout or a restarting server is worth another try) */
  attempts?: number;
  retryDelayMs?: number;
  publishTimeoutMs?: number;
  now?: () => Date;
  /** where an event goes; `akosha.audit.<action>` unless told */
  subjectOf?: (event: AuditEvent) => string;
}

/** Bigger events lose their detail: an audit line is a fact, not a payload. */
const MAX_EVENT_BYTES = 64 * 1024;
const WARN_EVERY_MS = 10_000;

/** `Dlq.Requeue!` → `dlq.requeue_`: every token a plain NATS subject token. */
export function auditAction(action: string): string {
  return action
    .toLowerCase()
    .split('.')
    .map((t) => t.replace(/[^a-z0-9_-]/g, '_') || '_')
    .join('.');
}

/** Encodes an event, dropping its detail when it is too big to be a sensible audit line. */
export function encodeAuditEvent(event: AuditEvent): string {
  const json = JSON.stringify(event);
  if (json.length <= MAX_EVENT_BYTES) return json;
  const { detail: _dropped, target, ...rest } = event;
  const route = target?.route !== undefined ? { target: { route: target.route } } : {};
  return JSON.stringify({ ...rest, ...route, detail: { truncated: true } });
}

/**
 * Publishes audit events to `akosha.audit.<action>` (stream AKOSHA_AUDIT). `record` returns at
 * once: the request it describes never waits for the broker. What cannot be recorded is
 * counted and warned about (throttled), never thrown.
 */
export class NatsAuditSink implements AuditSink {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private droppedSinceWarn = 0;
  private lastWarnAt = 0;

  constructor(private readonly opts: AuditPublisherOptions) {
    this.maxInFlight = opts.maxInFlight ?? 10_000;
  }

  record(event: Omit<AuditEvent, 'at'>): void {
    try {
      const at = (this.opts.now?.() ?? new Date()).toISOString();
      const full: AuditEvent = { at, ...event, action: auditAction(event.action) };
      if (this.inFlight.size >= this.maxInFlight) return this.drop('overflow', full.action);
      const sent: Promise<void> = this.publish(full).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    } catch (err) {
      this.drop('failed', event.action, err);
    }
  }

  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async publish(event: AuditEvent): Promise<void> {
    const { js, attempts = 3, retryDelayMs = 250, publishTimeoutMs = 5000 } = this.opts;
    const data = encodeAuditEvent(event);
    const subject = this.opts.subjectOf?.(event) ?? subjects.audit(event.action);
    for (let attempt = 1; ; attempt++) {
      try {
        await js.publish(subject, data, { timeout: publishTimeoutMs });
        return;
      } catch (err) {
        if (attempt >= attempts) return this.drop('failed', event.action, err);
        await new Promise((r) => setTimeout(r, retryDelayMs * attempt));
      }
    }
  }

  private drop(reason: DropReason, action: string, err?: unknown): void {
    this.opts.dropped?.inc({ reason });
    this.droppedSinceWarn++;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    // the error's name and message only: an event's detail is never logged
    const cause = err instanceof Error ? `${err.name}: ${err.message}` : undefined;
    this.opts.log.warn(
      { reason, action, dropped: this.droppedSinceWarn, ...(cause && { cause }) },
      'audit events not recorded',
    );
    this.lastWarnAt = now;
    this.droppedSinceWarn = 0;
  }
}
