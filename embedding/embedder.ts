import type { EmbedderInfo } from '../schemas';

/** Turns texts into L2-normalised vectors. One instance per worker; batch calls, not one per text. */
export interface Embedder {
  readonly info: EmbedderInfo;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
