import type { NatsConnection } from '@nats-io/transport-node';
import { decodeGraph } from '../consumers';
import type { GraphMessage } from '../schemas';
import { openStreamReader, STREAM, subjects } from '../streams';

export interface GraphStreamProgress {
  /** messages read so far, valid or not */
  messages: number;
  total: number;
}

/**
 * Every message of AKOSHA_GRAPH from its first sequence, in stream order, checked as the
 * graph writer checks it: `onMessage` gets the valid ones; the others (which the writer
 * dead-lettered) are counted as skipped.
 */
export async function forEachGraphMessage(
  nc: NatsConnection,
  maxMessageBytes: number,
  onMessage: (message: GraphMessage) => Promise<void> | void,
  onProgress?: (progress: GraphStreamProgress) => void,
): Promise<{ messages: number; skipped: number }> {
  const reader = await openStreamReader(nc, STREAM.graph, { filter: subjects.graphAll });
  let messages = 0;
  let skipped = 0;
  onProgress?.({ messages, total: reader.total });
  for await (const batch of reader.batches(256)) {
    for (const msg of batch) {
      const message = decodeGraph(msg.subject, msg.data, maxMessageBytes);
      if (message instanceof Error) skipped++;
      else await onMessage(message);
      messages++;
    }
    onProgress?.({ messages, total: reader.total });
  }
  return { messages, skipped };
}
