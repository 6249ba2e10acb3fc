import type { HeldMsg } from './pulled-message';

/**
 * Keeps held messages alive: every third of ack_wait, each message received and not yet
 * settled (queued, or in a handler) gets a `working()`. So a slow batch, a full queue or a
 * stalled sink never lets ack_wait lapse: a message is redelivered only when its process is
 * gone or a handler gave it up, and waiting never spends a delivery.
 */
export class Heartbeat {
  private readonly held = new Set<HeldMsg>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ackWaitMs: number) {}

  hold(msg: HeldMsg): void {
    this.held.add(msg);
    if (this.timer) return;
    this.timer = setInterval(() => this.beat(), Math.max(100, Math.floor(this.ackWaitMs / 3)));
    this.timer.unref(); // the loop's subscriptions keep the process alive, not the beat
  }

  /** The handler is done with these: settled or not, they are no longer kept alive. */
  release(msgs: HeldMsg[]): void {
    for (const msg of msgs) this.held.delete(msg);
  }

  /** A message of this stream sequence is held and not yet settled. */
  holds(seq: number): boolean {
    for (const msg of this.held) if (msg.seq === seq && !msg.settled) return true;
    return false;
  }

  get size(): number {
    return this.held.size;
  }

  private beat(): void {
    for (const msg of this.held) {
      if (msg.settled) this.held.delete(msg);
      else msg.working();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.held.clear();
  }
}
