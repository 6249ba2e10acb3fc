import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra';
import { IngestedEvent, SystemId } from '../schemas';
import { subjects } from '../streams';

/** What the watcher needs of a cache (QueryCache has it). */
export interface InvalidatableCache {
  invalidate(systemIds: string[]): Promise<void>;
}

/**
 * Invalidates the query cache for the ingest-complete events, in order. While one
 * invalidation is in flight, the systems of the events that arrive meanwhile are gathered
 * and go in the next one: a burst of events costs a few Redis round trips, not one each,
 * and no event waits behind a queue of them.
 * A plain core subscription: every process gets every event; events published while this
 * process is cut off from NATS are missed, and what they would have invalidated lives
 * until its TTL. Returns a stop function that drains the subscription.
 */
export function watchIngestForCache(
  nc: NatsConnection,
  cache: InvalidatableCache,
  log: Logger,
): () => Promise<void> {
  const gathered = new Set<string>();
  let running: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (gathered.size > 0) {
      const systems = [...gathered];
      gathered.clear();
      await invalidate(cache, systems, log);
    }
    running = undefined;
  };
  const sub = nc.subscribe(subjects.ingested('>'), {
    callback: (_err, msg) => {
      for (const system of systemsOfEvent(msg, log)) gathered.add(system);
      if (gathered.size > 0) running ??= flush();
    },
  });
  return async () => {
    if (!sub.isClosed()) await sub.drain().catch(() => sub.unsubscribe());
    await running;
  };
}

async function invalidate(cache: InvalidatableCache, systems: string[], log: Logger) {
  try {
    await cache.invalidate(systems);
  } catch (err) {
    log.error({ err: (err as Error).message, systems }, 'query cache invalidation failed');
  }
}

/**
 * The systems an event on akosha.ingested.<system_id> changed: the subject's token and the
 * payload's system_id, each when valid (both when they differ: a spare invalidation is cheap).
 */
export function systemsOfEvent(msg: Pick<Msg, 'subject' | 'data'>, log: Logger): string[] {
  const systems = new Set<string>();
  const tokens = msg.subject.split('.');
  const fromSubject = tokens.length === 3 ? SystemId.safeParse(tokens[2]) : undefined;
  if (fromSubject?.success) systems.add(fromSubject.data);
  const event = parseEvent(msg.data);
  if (event) systems.add(event.system_id);
  else
    log.warn({ code: 'SCHEMA_INVALID', subject: msg.subject }, 'malformed ingest-complete event');
  return [...systems];
}

function parseEvent(data: Uint8Array): IngestedEvent | undefined {
  try {
    const parsed = IngestedEvent.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
