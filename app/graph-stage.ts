import { GraphConsumer } from '../consumers/graph';
import type { AkoshaConfig } from '../infra/config';
import { openGraphStore } from '../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../storage/graph/types';
import { GRAPH_CONSUMER, STREAM } from '../streams/definitions';
import type { StageContext, StartedStages } from './stages';

/**
 * Whether this process writes the knowledge graph: `on`, or `auto` in the writer that owns
 * shard group 0. DuckDB allows one writer per file, so exactly one process should.
 */
export function writesGraph(config: AkoshaConfig, hasWriterRole: boolean): boolean {
  if (config.graph.writer === 'on') return true;
  return config.graph.writer === 'auto' && hasWriterRole && config.writer.groups.includes(0);
}

/**
 * Opens the graph store and starts the graph writer on it. `fence`: the writer lease, when
 * this process holds one; the stage applies and acks nothing without it.
 */
export async function startGraphStage(
  ctx: StageContext,
  fence?: () => boolean,
): Promise<StartedStages & { store: GraphStore }> {
  const { common, config } = ctx;
  const store = await openGraphStore(config.graph.file);
  const stage = new GraphConsumer(
    { ...common, store, ...(fence && { fence }) },
    {
      batchSize: config.writer.batchSize,
      maxBatchBytes: config.writer.maxBatchBytes,
      batchLingerMs: config.writer.batchLingerMs,
      ackWaitMs: config.writer.ackWaitMs,
      maxMessageBytes: config.streams.maxMessageBytes,
      retry: ctx.retry,
    },
  );
  try {
    await stage.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    stages: [stage],
    stoppers: [],
    watched: [{ stream: STREAM.graph, consumer: GRAPH_CONSUMER }],
  };
}
