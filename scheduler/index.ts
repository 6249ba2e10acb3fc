/**
 * The local scheduler of periodic jobs, with claims (NATS KV or memory) so that one process runs
 * each job. Exports the scheduler and its claim stores.
 */

export { KvClaimStore, LocalScheduler, MemoryClaimStore } from './local-scheduler';
export type { ClaimStore, JobContext } from './local-scheduler';
