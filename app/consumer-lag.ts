import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger, Metrics } from '../infra';
import { INGEST_CONSUMER, STREAM } from '../streams';

/** Polls the durable consumers this process serves and exports their pending counts. */
export function watchConsumerLag(
  nc: NatsConnection,
  consumers: { stream: string; consumer: string }[],
  metrics: Metrics,
  log: Logger,
  intervalMs = 5000,
): () => void {
  const jsm = jetstreamManager(nc);
  const poll = async () => {
    for (const { stream, consumer } of consumers) {
      const info = await (await jsm).consumers.info(stream, consumer);
      const pending = info.num_pending + info.num_ack_pending;
      metrics.consumerPending.set({ stream, consumer }, pending);
      if (stream === STREAM.uploads && consumer === INGEST_CONSUMER)
        metrics.ingestionQueueSize.set(pending);
    }
  };
  const timer = setInterval(
    () => void poll().catch((err) => log.debug({ err }, 'consumer lag poll failed')),
    intervalMs,
  );
  timer.unref();
  return () => clearInterval(timer);
}
