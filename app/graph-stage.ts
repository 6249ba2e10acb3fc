import { GraphConsumer } from '../consumers';
import type { AkoshaConfig } from '../infra';
import type { GraphStore } from '../storage';
import { GRAPH_CONSUMER, STREAM } from '../streams';
import type { Stage } from './stage';
import type { StageContext } from './stages';

/**
 * Whether this process writes the knowledge graph: `on`, or `auto` in the writer that owns
 * shard group 0. DuckDB allows one writer per file, so exactly one process should.
 */
export function writesGraph(config: AkoshaConfig, hasWriterRole: boolean): boolean {
  if (config.graph.writer === 'on') return true;
  return config.graph.writer === 'auto' && hasWriterRole && config.writer.groups.includes(0);
}

/**
 * The graph writer on an open graph store (the pipeline opens and closes the store: its
 * API serves it too). `fence`: the writer lease, when this process holds one; the stage
 * applies and acks nothing without it.
 */
export function graphStage(ctx: StageContext, store: GraphStore, fence?: () => boolean): Stage {
  const { common, config } = ctx;
  const consumer = new GraphConsumer(
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
  return {
    name: 'graph writer',
    watched: [{ stream: STREAM.graph, consumer: GRAPH_CONSUMER }],
    start: () => consumer.start(),
    stop: () => consumer.stop(),
  };
}
