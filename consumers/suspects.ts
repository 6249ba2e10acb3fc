import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PulledMsg } from './pulled-message';

const BUCKET = 'AKOSHA_SUSPECTS';
/** A mark older than this belongs to a message long settled some other way. */
const MARK_TTL_MS = 7 * 86_400_000;

/**
 * Marks kept while a suspect message (one whose batch died twice) is handled alone: a mark
 * still there at its next delivery means its process died handling it and nothing else,
 * so it is the poison. Kept in JetStream KV, so the writer that takes over a group after a
 * crash knows it too.
 */
export class SuspectLog {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<SuspectLog> {
    return new SuspectLog(await new Kvm(nc).create(BUCKET, { history: 1, ttl: MARK_TTL_MS }));
  }

  /** An earlier delivery of this message was handled alone and its process never finished. */
  async diedWith(msg: PulledMsg): Promise<boolean> {
    const entry = await this.kv.get(keyOf(msg));
    return entry?.operation === 'PUT';
  }

  begin(msg: PulledMsg): Promise<unknown> {
    return this.kv.put(keyOf(msg), String(msg.info.deliveryCount));
  }

  end(msg: PulledMsg): Promise<unknown> {
    return this.kv.delete(keyOf(msg));
  }
}

const keyOf = (msg: PulledMsg) => `${msg.info.stream}.${msg.info.consumer}.${msg.seq}`;
