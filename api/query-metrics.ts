import type { Metrics, QueryOutcome } from '../infra';
import type { QueryBackend, Searcher, ShardQueries } from './query-backend';

/** Where a query came in (akosha_query_requests_total's `endpoint`). */
export type QueryEndpoint = 'search' | 'mcp_search' | 'memory' | 'systems';

/** Runs one query, counting it by outcome and timing it; an answer with `partial` set is partial. */
export async function observeQuery<T>(
  metrics: Metrics,
  endpoint: QueryEndpoint,
  run: () => Promise<T>,
): Promise<T> {
  const stopTimer = metrics.queryDuration.startTimer({ endpoint });
  let outcome: QueryOutcome = 'error';
  try {
    const answer = await run();
    outcome = isPartial(answer) ? 'partial' : 'ok';
    return answer;
  } finally {
    stopTimer();
    metrics.queryRequests.inc({ endpoint, outcome });
  }
}

function isPartial(answer: unknown): boolean {
  if (typeof answer !== 'object' || answer === null) return false;
  const { partial, failed } = answer as { partial?: unknown; failed?: unknown };
  return partial === true || (Array.isArray(failed) && failed.length > 0);
}

/** The searcher, with each search counted and timed under `endpoint`. */
export function observedSearcher(
  searcher: Searcher | undefined,
  metrics: Metrics,
  endpoint: QueryEndpoint,
): Searcher | undefined {
  return (
    searcher && {
      search: (req, scope) => observeQuery(metrics, endpoint, () => searcher.search(req, scope)),
    }
  );
}

/** The backend the REST routes read from: searches, memory lookups and system counts observed. */
export function observedQueryBackend(backend: QueryBackend, metrics: Metrics): QueryBackend {
  return {
    kind: backend.kind,
    search: observedSearcher(backend.search, metrics, 'search'),
    shards: backend.shards && observedShards(backend.shards, metrics),
    graph: backend.graph,
  };
}

/** Memory lookups and counts observed; every other member is the backend's own, unchanged. */
function observedShards(shards: ShardQueries, metrics: Metrics): ShardQueries {
  const observed: Partial<ShardQueries> = {
    memory: (system, id, scope) =>
      observeQuery(metrics, 'memory', () => shards.memory(system, id, scope)),
    counts: (system, scope) => observeQuery(metrics, 'systems', () => shards.counts(system, scope)),
  };
  // a proxy, not a copy: a member added to ShardQueries later passes through as it is
  return new Proxy(shards, {
    get(target, key) {
      if (key in observed) return observed[key as keyof ShardQueries];
      const member: unknown = Reflect.get(target, key);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}
