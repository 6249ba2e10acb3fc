/**
 * Manifests found and not imported yet, per system, with their LastModified: the lag
 * gauge is the age of the oldest, and a queued upload is not queued again at every poll.
 */
export class PendingUploads {
  private readonly bySystem = new Map<
    string,
    Map<string, { modifiedMs: number; queuedMs: number }>
  >();

  /** The uploads of a system still waiting at this poll; the others left the queue. */
  replace(systemId: string, waiting: Map<string, { modifiedMs: number; queuedMs: number }>): void {
    if (waiting.size === 0) this.bySystem.delete(systemId);
    else this.bySystem.set(systemId, waiting);
  }

  get(systemId: string, uploadId: string) {
    return this.bySystem.get(systemId)?.get(uploadId);
  }

  /** Imported or failed: no longer waiting. */
  settle(systemId: string, uploadId: string): void {
    const waiting = this.bySystem.get(systemId);
    waiting?.delete(uploadId);
    if (waiting?.size === 0) this.bySystem.delete(systemId);
  }

  /** Seconds since the oldest waiting manifest was written; 0 when none waits. */
  lagSeconds(nowMs: number): number {
    let oldest = Infinity;
    for (const waiting of this.bySystem.values())
      for (const { modifiedMs } of waiting.values()) oldest = Math.min(oldest, modifiedMs);
    return oldest === Infinity ? 0 : Math.max(0, (nowMs - oldest) / 1000);
  }

  clear(): void {
    this.bySystem.clear();
  }
}
