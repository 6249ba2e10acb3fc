import type { AccessRole } from '../auth';

export type AuditResult = 'ok' | 'denied' | 'error';

/**
 * One line of the audit trail: who did what, to what, when, and how it ended.
 * Published to `akosha.audit.<action>` on stream AKOSHA_AUDIT.
 */
export interface AuditEvent {
  /** ISO time the action ended */
  at: string;
  /** principal name; `anonymous` when no credential was offered */
  principal: string;
  role: AccessRole | null;
  /** dotted, lower case: `memory.store`, `search`, `dlq.requeue`, `auth.denied`, ... */
  action: string;
  target?: {
    system?: string | readonly string[];
    ids?: readonly string[];
    sequence?: number | readonly number[];
    route?: string;
  };
  result: AuditResult;
  /** client address, or `cli` */
  source: string;
  request_id?: string;
  /** action-specific facts (hit count, filters, reason); never secrets */
  detail?: Record<string, unknown>;
}

/** Where audit events go. `record` never throws and never waits for the broker. */
export interface AuditSink {
  record(event: Omit<AuditEvent, 'at'>): void;
  /** resolves once every recorded event is acknowledged (or given up on) */
  flush(): Promise<void>;
}

/** For processes and tests that audit nothing. */
export const NO_AUDIT: AuditSink = { record: () => undefined, flush: async () => undefined };
