import { type GraphQueries, type LinkedEntity, recordKey } from '../../storage';

interface Hit {
  system_id: string;
  id: string;
}

interface WarnLog {
  warn(obj: object, msg: string): void;
}

/**
 * The hits with `entities` added to each one whose record mentions some: one graph read for
 * the returned hits. It runs after the query cache, so a cached answer still gets the
 * entity lists the graph holds now. A graph that fails leaves the hits as they are: the
 * search itself answered.
 */
export async function withLinkedEntities<R extends { results: readonly Hit[] }>(
  found: R,
  graph: GraphQueries | undefined,
  log: WarnLog,
): Promise<R> {
  if (!graph || found.results.length === 0) return found;
  let linked: Map<string, LinkedEntity[]>;
  try {
    linked = await graph.entitiesOfRecords(
      found.results.map(({ system_id, id }) => ({ system_id, id })),
    );
  } catch (err) {
    log.warn({ err }, 'search hits left without their entities: the graph read failed');
    return found;
  }
  const results = found.results.map((hit) => {
    const entities = linked.get(recordKey(hit.system_id, hit.id));
    return entities && entities.length > 0 ? { ...hit, entities } : hit;
  });
  return { ...found, results };
}
