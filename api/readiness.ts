import type { BridgeStatus } from '../bridge';
import type { WatcherStatus } from '../cloud';
import type { StallStatus } from '../consumers';
import type { NatsSyncStatus } from '../infra';

/** What /readyz reports of one process; the HTTP layer reads it without depending on the pipeline. */
export interface Readiness {
  ready: boolean;
  consuming: boolean;
  nats: string;
  /** the roles this process runs (app/roles.ts) */
  roles: string[];
  embedder: string;
  /** mode normal|fallback, breaker state, last contact with Mahavishnu */
  orchestrator?: BridgeStatus;
  /** AKOSHA_NATS_SYNC asked for, what is in force, and a warning when they differ */
  natsSync?: NatsSyncStatus;
  /** writer: shards whose interrupted tier move waits to be finished (no move starts there) */
  tierRecoveryPending?: number[];
  /** why not ready, when it is for good: 'lease lost' */
  reason?: string;
  /** the writer stopped pulling because its storage fails; it resumes by itself */
  storage?: StallStatus;
  /** the Session-Buddy bucket watcher: active or standby, last poll, last error */
  cloud?: WatcherStatus;
}
