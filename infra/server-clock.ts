import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

const BUCKET = 'AKOSHA_CLOCK';

/**
 * The NATS server's time, read from the timestamp the server stores on a KV write: the
 * reference a writer checks its own clock against before it moves or deletes by age, so
 * that a clock stepped by days cannot expire records early.
 */
export class ServerClock {
  private constructor(
    private readonly kv: KV,
    private readonly key: string,
  ) {}

  static async open(nc: NatsConnection, owner: string): Promise<ServerClock> {
    const kv = await new Kvm(nc).create(BUCKET, { history: 1, ttl: 86_400_000 });
    return new ServerClock(kv, `probe-${owner.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  }

  /** ms since the epoch by the server's clock (within half a round trip). */
  async now(): Promise<number> {
    const sent = performance.now();
    await this.kv.put(this.key, '');
    const entry = await this.kv.get(this.key);
    if (!entry) throw new Error('clock probe vanished');
    return entry.created.getTime() + (performance.now() - sent) / 2;
  }
}
