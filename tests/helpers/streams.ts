import { jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** Every message of a stream (optionally one subject filter), parsed as JSON, in stream order. */
export async function readStream<T = unknown>(
  nc: NatsConnection,
  js: JetStreamClient,
  stream: string,
  filter?: string,
): Promise<{ subject: string; seq: number; data: T }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  if (info.state.messages === 0) return [];
  const consumer = await js.consumers.get(stream, filter ? { filter_subjects: filter } : {});
  const out: { subject: string; seq: number; data: T }[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ subject: m.subject, seq: m.seq, data: m.json<T>() });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

export async function streamMessageCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}
