import {
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { STREAM } from './definitions';

export interface ConsumerStatus {
  name: string;
  num_pending: number;
  num_ack_pending: number;
  num_redelivered: number;
  /** stream sequence of the last message delivered, and of the last one acked in order */
  delivered_stream_seq: number;
  ack_floor_stream_seq: number;
}

export type StreamStatus =
  | {
      name: string;
      exists: true;
      messages: number;
      bytes: number;
      first_seq: number;
      last_seq: number;
      consumer_count: number;
      /** durable consumers only: ephemeral ones (tools, tests) come and go */
      consumers: ConsumerStatus[];
    }
  | { name: string; exists: false };

/** State of every Akosha stream and its durable consumers, in the order of STREAM. */
export function streamsStatus(jsm: JetStreamManager): Promise<StreamStatus[]> {
  return Promise.all(Object.values(STREAM).map((name) => streamStatus(jsm, name)));
}

async function streamStatus(jsm: JetStreamManager, name: string): Promise<StreamStatus> {
  try {
    const { state } = await jsm.streams.info(name);
    const consumers: ConsumerStatus[] = [];
    for await (const info of jsm.consumers.list(name))
      if (info.config.durable_name) consumers.push(consumerStatus(info));
    return {
      name,
      exists: true,
      messages: state.messages,
      bytes: state.bytes,
      first_seq: state.first_seq,
      last_seq: state.last_seq,
      consumer_count: state.consumer_count,
      consumers: consumers.sort((a, b) => a.name.localeCompare(b.name)),
    };
  } catch (err) {
    // an API-only process may run before any process applied the topology
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)
      return { name, exists: false };
    throw err;
  }
}

const consumerStatus = (info: ConsumerInfo): ConsumerStatus => ({
  name: info.name,
  num_pending: info.num_pending,
  num_ack_pending: info.num_ack_pending,
  num_redelivered: info.num_redelivered,
  delivered_stream_seq: info.delivered.stream_seq,
  ack_floor_stream_seq: info.ack_floor.stream_seq,
});
