import type { Embedder } from '../../embedding/embedder';
import { HashingEmbedder } from '../../embedding/hashing-embedder';

/** The hashing embedder, whose next `failures` calls fail as an unreachable model would. */
export class FlakyEmbedder implements Embedder {
  private readonly inner = new HashingEmbedder();
  readonly info = this.inner.info;
  failures = 0;
  calls = 0;

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('embedder worker crashed');
    }
    return this.inner.embed(texts);
  }

  async close(): Promise<void> {}
}
