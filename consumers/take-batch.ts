import type { PulledMsg } from './pulled-message';

/**
 * From this delivery on a message is handled alone: two deliveries that ended without a
 * settlement (the process died with the batch, twice) make it a suspect poison, and its
 * batch-mates must not share its fate again.
 */
export const ALONE_FROM_DELIVERY = 3;

export interface BatchLimits {
  batchSize: number;
  maxBatchBytes: number;
}

/**
 * Removes the next batch from the queue: a suspect alone, or else messages in queue order
 * (suspects left for their own turn) up to batchSize and maxBatchBytes, at least one.
 */
export function takeBatch<T extends PulledMsg>(queue: T[], limits: BatchLimits): T[] {
  const first = queue[0];
  if (!first) return [];
  if (first.info.deliveryCount >= ALONE_FROM_DELIVERY) return queue.splice(0, 1);
  const batch: T[] = [];
  let bytes = 0;
  for (let i = 0; i < queue.length && batch.length < limits.batchSize;) {
    const msg = queue[i]!;
    const size = msg.data.byteLength;
    if (msg.info.deliveryCount >= ALONE_FROM_DELIVERY) {
      i++;
      continue;
    }
    if (batch.length > 0 && bytes + size > limits.maxBatchBytes) break;
    batch.push(...queue.splice(i, 1));
    bytes += size;
  }
  return batch;
}

export const bytesOf = (msgs: PulledMsg[]) => msgs.reduce((n, m) => n + m.data.byteLength, 0);
