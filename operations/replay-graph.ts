import type { NatsConnection } from '@nats-io/transport-node';
import type { GraphCounts, GraphStore } from '../storage';
import { forEachGraphMessage, type GraphStreamProgress } from './graph-stream';

export interface GraphReplaySummary {
  /** messages read from AKOSHA_GRAPH */
  messages: number;
  applied: number;
  /** invalid messages (the graph writer dead-lettered them) */
  skipped: number;
  entitiesWritten: number;
  relationsWritten: number;
  mentionsWritten: number;
  unchanged: number;
  /** what the store holds afterwards */
  counts: GraphCounts;
}

/**
 * Rebuilds the graph: clears the store, then applies every valid message of AKOSHA_GRAPH
 * from the first sequence, in stream order. Applying is idempotent and the newest
 * statement wins, so the result is the graph the writer built from the same messages.
 */
export async function replayGraph(opts: {
  nc: NatsConnection;
  store: GraphStore;
  maxMessageBytes: number;
  onProgress?: (progress: GraphStreamProgress) => void;
}): Promise<GraphReplaySummary> {
  await opts.store.clear();
  const sums = {
    applied: 0,
    entitiesWritten: 0,
    relationsWritten: 0,
    mentionsWritten: 0,
    unchanged: 0,
  };
  const read = await forEachGraphMessage(
    opts.nc,
    opts.maxMessageBytes,
    async (message) => {
      const outcome = await opts.store.apply(message);
      sums.applied++;
      sums.entitiesWritten += outcome.entitiesWritten;
      sums.relationsWritten += outcome.relationsWritten;
      sums.mentionsWritten += outcome.mentionsWritten;
      sums.unchanged += outcome.unchanged;
    },
    opts.onProgress,
  );
  return { ...read, ...sums, counts: await opts.store.counts() };
}
