import type { SearchOptions } from './hot-store';
import type { HotHit } from './search-hit';

/** A piece of a hot search that succeeds or fails on its own (the search reports it as failed). */
export interface HotSearchPart {
  /** the shard it covers; absent: every shard at once (one shared collection) */
  shard?: number | undefined;
  run: () => Promise<HotHit[]>;
}

/**
 * The hot tier's part of a search where another store than this process's shards holds the
 * vectors (a shared Qdrant collection): any process can run it, with or without a writer.
 */
export interface HotSearch {
  /** `threshold`: hits below it may be left out early */
  parts(query: Float32Array, opts: SearchOptions, threshold?: number): Promise<HotSearchPart[]>;
  close(): Promise<void>;
}

/** The hot tier left out: somebody else searches it (API processes that ask Qdrant themselves). */
export const NO_HOT_SEARCH: HotSearch = {
  parts: () => Promise.resolve([]),
  close: () => Promise.resolve(),
};
