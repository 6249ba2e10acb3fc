/** What one process runs; `akosha start --roles` picks some, all by default. */
export type Role = 'ingest' | 'writer' | 'api' | 'scheduler' | 'cloud';

/** `cloud` runs only when AKOSHA_SB_BUCKET is set. */
export const ALL_ROLES: Role[] = ['ingest', 'writer', 'api', 'scheduler', 'cloud'];
