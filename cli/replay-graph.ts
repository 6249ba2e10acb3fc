import { existsSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AkoshaConfig } from '../infra';
import {
  type GraphReplaySummary,
  type GraphStreamProgress,
  type GraphVerification,
  refuseOwnedShards,
  replayGraph,
  verifyGraph,
} from '../operations';
import { openGraphStore } from '../storage';
import { shardsOfGroup } from '../streams';

/** What the progress bar of `akosha replay` shows. */
export interface ReplayProgressBar {
  update(p: { messages: number; total: number; records: number }): void;
  stop(): void;
}

/**
 * `akosha replay --graph`: the graph file is written by the writer of shard group 0 (or a
 * process with AKOSHA_GRAPH_WRITER=on, which DuckDB's file lock keeps out), so a live
 * writer of that group refuses the replay.
 */
export async function runGraphReplay(
  nc: NatsConnection,
  config: AkoshaConfig,
  bar: ReplayProgressBar,
): Promise<GraphReplaySummary> {
  const { shardGroups } = config.streams;
  const shards = shardsOfGroup(0, shardGroups);
  await refuseOwnedShards(nc, { command: 'akosha replay --graph', shards, shardGroups });
  const store = await openGraphStore(config.graph.file);
  try {
    return await replayGraph({
      nc,
      store,
      maxMessageBytes: config.streams.maxMessageBytes,
      onProgress: (p: GraphStreamProgress) => bar.update({ ...p, records: p.messages }),
    });
  } finally {
    bar.stop();
    await store.close();
  }
}

/** `akosha verify`'s graph part: only where a graph store file exists. */
export async function runGraphVerify(
  nc: NatsConnection,
  config: AkoshaConfig,
): Promise<GraphVerification | undefined> {
  if (!existsSync(config.graph.file)) return undefined;
  const store = await openGraphStore(config.graph.file);
  try {
    return await verifyGraph(nc, store, config.streams.maxMessageBytes);
  } finally {
    await store.close();
  }
}
