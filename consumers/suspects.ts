import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { SharedExclusiveLock } from '../storage';
import type { PulledMsg } from './pulled-message';

const BUCKET = 'AKOSHA_SUSPECTS';
/** A mark older than this belongs to a message long settled some other way. */
const MARK_TTL_MS = 7 * 86_400_000;

/**
 * Marks kept while a suspect message (one whose batch died twice) is handled alone: a mark
 * still there at its next delivery means its process died while handling that message and
 * nothing else (suspects take the process's batches in exclusive turns). Kept in
 * JetStream KV, so the writer that takes over a group after a crash knows it too.
 */
export class SuspectLog {
  /** batches take shared turns, a suspect an exclusive one: it runs alone in the process */
  readonly turns = new SharedExclusiveLock();

  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<SuspectLog> {
    return new SuspectLog(await new Kvm(nc).create(BUCKET, { history: 1, ttl: MARK_TTL_MS }));
  }

  /** How many times its process died while handling this message alone. */
  async soloDeaths(msg: PulledMsg): Promise<number> {
    const entry = await this.kv.get(keyOf(msg));
    return entry?.operation === 'PUT' ? Number(entry.string()) : 0;
  }

  /** Marks the solo attempt; an attempt that never ends counts as a death. */
  begin(msg: PulledMsg, attempt: number): Promise<unknown> {
    return this.kv.put(keyOf(msg), String(attempt));
  }

  end(msg: PulledMsg): Promise<unknown> {
    return this.kv.delete(keyOf(msg));
  }
}

const keyOf = (msg: PulledMsg) => `${msg.info.stream}.${msg.info.consumer}.${msg.seq}`;
