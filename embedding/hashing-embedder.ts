import { yieldToEventLoop } from '../infra';
import { EMBEDDING_DIM } from '../schemas';
import type { Embedder } from './embedder';
import { l2Normalise } from './vector';

const WORD = /[\p{L}\p{N}]+/gu;
const TRIGRAM_WEIGHT = 0.5;
/** How long a batch embeds before it lets the event loop run (searches wait on it). */
const TURN_MS = 4;

const FNV_OFFSET = 0x811c9dc5;

/**
 * FNV-1a, 32 bit, of `text`'s UTF-16 code units [start, end), continued from `h` (the hash
 * of a prefix): fast, stable across processes and platforms, and no string is built per
 * feature.
 */
function fnv1a(text: string, h = FNV_OFFSET, start = 0, end = text.length): number {
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A feature is hashed as `<kind>:<text>`: the hash of each prefix, taken once. */
const WORD_PREFIX = fnv1a('w:');
const TRIGRAM_PREFIX = fnv1a('t:');
const RAW_PREFIX = fnv1a('raw:');

/** Adds ±weight at the feature's bucket; the sign bit keeps collisions from only adding up. */
function addFeature(v: Float32Array, h: number, weight: number): void {
  v[h % v.length] = v[h % v.length]! + (h & 0x80000000 ? -weight : weight);
}

/**
 * Offline, deterministic embedder: feature hashing of words and character
 * trigrams into 384 dims, L2-normalised. Texts that share words and spellings
 * land close together; it knows nothing of meaning. Same text → same vector.
 */
export const HASHING_MODEL = 'fnv1a-words-trigrams-v1';

export class HashingEmbedder implements Embedder {
  readonly info = { name: 'hashing', model: HASHING_MODEL, dim: EMBEDDING_DIM };

  /** In turns, so that a large batch does not hold the event loop (searches wait on it). */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    let turnStarted = performance.now();
    for (const text of texts) {
      if (performance.now() - turnStarted >= TURN_MS) {
        await yieldToEventLoop();
        turnStarted = performance.now();
      }
      vectors.push(this.embedOne(text));
    }
    return vectors;
  }

  embedOne(text: string): Float32Array {
    const v = new Float32Array(EMBEDDING_DIM);
    for (const match of text.toLowerCase().matchAll(WORD)) {
      const word = match[0];
      addFeature(v, fnv1a(word, WORD_PREFIX), 1);
      const padded = `#${word}#`;
      for (let i = 0; i + 3 <= padded.length; i++)
        addFeature(v, fnv1a(padded, TRIGRAM_PREFIX, i, i + 3), TRIGRAM_WEIGHT);
    }
    if (v.every((x) => x === 0)) addFeature(v, fnv1a(text, RAW_PREFIX), 1);
    return l2Normalise(v);
  }

  async close(): Promise<void> {}
}
