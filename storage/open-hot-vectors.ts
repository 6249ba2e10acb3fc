import type { DuckDBConnection } from '@duckdb/node-api';
import { HotIndex, type HotGraphOptions, type PreloadedIndex } from './hot-index';
import type { VectorStoreOptions } from '../infra';
import type { HotVectors } from './hot-vectors';
import { QdrantHotIndex } from './qdrant-hot-index';

export interface HotVectorsOpen {
  index: HotVectors;
  /** the embedded index was rebuilt from the shards (and why) */
  rebuilt: boolean;
  reason?: string | undefined;
  /** shards whose points may differ from their rows: the upkeep re-syncs them */
  stale: number[];
}

/** Opens the hot tier's vector index over the attached shards (`conn`: a connection of their instance). */
export async function openHotVectors(
  hotDir: string,
  conn: DuckDBConnection,
  shards: number[],
  opts: {
    graph?: HotGraphOptions | undefined;
    store?: VectorStoreOptions | undefined;
    /** the embedded index's file, read ahead (HotIndex.preload) */
    preloaded?: Promise<PreloadedIndex> | undefined;
  },
): Promise<HotVectorsOpen> {
  if (opts.store?.kind !== 'qdrant') {
    const opened = await HotIndex.open(hotDir, conn, shards, opts.graph, opts.preloaded);
    return { ...opened, stale: [] };
  }
  const index = QdrantHotIndex.create(opts.store.qdrant);
  const stale = await index.outOfSync(conn, shards);
  const reason = stale.length > 0 ? `${stale.length} shards differ from Qdrant` : undefined;
  return { index, rebuilt: false, reason, stale };
}
