import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../infra';
import { BatchLoop, type BatchLoopOptions } from './batch-loop';
import type { PulledMsg } from './pulled-message';

export interface PullTarget {
  stream: string;
  consumer: string;
}

/** The pull loops of one stage: one per target; list a consumer twice for two workers on it. */
export class LoopGroup {
  private loops: BatchLoop[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  async start(
    targets: PullTarget[],
    options: BatchLoopOptions,
    handle: (batch: PulledMsg[]) => Promise<void>,
  ): Promise<void> {
    for (const target of targets) {
      const loop = new BatchLoop(this.nc, target, options, handle, this.log);
      await loop.start();
      this.loops.push(loop);
    }
  }

  /** Some loop holds a message of this stream sequence (its targets share one stream). */
  holds(seq: number): boolean {
    return this.loops.some((loop) => loop.holds(seq));
  }

  /** No new pull requests on any loop (a stalled sink); resume() starts them again. */
  pause(): void {
    for (const loop of this.loops) loop.pause();
  }

  resume(): void {
    for (const loop of this.loops) loop.resume();
  }

  /** Stops every loop together; each finishes what it already pulled. */
  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
    this.loops = [];
  }
}
