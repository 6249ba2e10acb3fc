import type { Embedder } from '../embedding';
import type { SystemScope } from './scope';
import {
  mergeHits,
  type FailedPart,
  type SearchRequest,
  type SearchResponse,
  type VectorSearch,
} from './search';

/**
 * One search over several sources that each hold some tiers, merged as one process merges
 * its own parts: the hot tier from the shared Qdrant collection (asked by this process) and
 * the warm and cold tiers from the writers that own them. A source's failed parts are listed
 * in `failed`, and so is a source that fails as a whole; the others still answer.
 */
export class MergedSearch implements VectorSearch {
  constructor(
    private readonly sources: VectorSearch[],
    private readonly embedder: Embedder['info'],
  ) {}

  async searchVector(
    vector: Float32Array,
    req: SearchRequest,
    scope: SystemScope,
  ): Promise<SearchResponse> {
    const started = performance.now();
    const settled = await Promise.allSettled(
      this.sources.map((s) => s.searchVector(vector, req, scope)),
    );
    const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    // a source with nothing to ask (no writer alive) fails the search only if all of them do
    const first = settled.find((s) => s.status === 'rejected');
    if (answers.length === 0 && first) throw first.reason;
    const failed: FailedPart[] = [
      ...answers.flatMap((a) => a.failed),
      ...settled.flatMap((s) => (s.status === 'rejected' ? [sourceFailed(s.reason)] : [])),
    ];
    const results = mergeHits(
      answers.flatMap((a) => a.results),
      req.limit,
      req.threshold,
    );
    return {
      query: req.query,
      cache: 'off',
      results,
      total: results.length,
      embedder: this.embedder,
      took_ms: performance.now() - started,
      partial: failed.length > 0,
      failed,
    };
  }
}

/** A source that gave no answer at all: the writers' tiers when no writer is alive. */
const sourceFailed = (err: unknown): FailedPart => ({
  writer: 'none',
  groups: [],
  reason: 'error',
  message: err instanceof Error ? err.message : String(err),
});
