import type { HotStore } from '../../storage/hot-store';
import type { ShardFilter } from '../../storage/shard-filter';
import { chunkInput, embeddedRecord } from './chunk-inputs';

/** What a hot store's private parts look like to the restart and bulk-load tests. */
export interface StoreInside {
  saveTimer?: NodeJS.Timeout;
  closeConnections(): void;
  index: { save(): Promise<void> };
  filters: Map<number, ShardFilter>;
  pool: { use<T>(fn: (conn: never) => Promise<T>): Promise<T> };
}

export const inside = (store: HotStore) => store as unknown as StoreInside;

/** Stops the store as a crash would: DuckDB files closed, the vector index not saved again. */
export function crash(store: HotStore): void {
  clearInterval(inside(store).saveTimer);
  inside(store).closeConnections();
}

/** One chunk of an upload of these record ids, each with text of its own. */
export const chunkOf = (system: string, uploadId: string, ids: string[]) =>
  chunkInput(
    system,
    uploadId,
    ids.map((id) => embeddedRecord(id, `memory ${id} of ${system}`, '2026-11-20T10:00:00Z')),
  );
