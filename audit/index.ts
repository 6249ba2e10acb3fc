/**
 * The audit trail on akosha.audit.* (stream AKOSHA_AUDIT): who did what, published and read back.
 * Exports the event types, the NATS sink and the no-op one, the reader and its query, what a
 * search's event records, and the CLI's audit call.
 */

export { auditCli } from './cli-audit';
export type { CliAction } from './cli-audit';
export { NO_AUDIT } from './event';
export type { AuditEvent, AuditResult, AuditSink } from './event';
export { NatsAuditSink } from './publisher';
export { AuditQuery, listAuditEvents } from './reader';
export { searchAuditDetail } from './search-detail';
