import type { Embedder } from './embedder';
import { l2Normalise } from './vector';

/** An embedder that knows its window and can count tokens (ModelEmbedder, WorkerPoolEmbedder). */
export interface TokenAwareEmbedder extends Embedder {
  /** tokens the model sees per text, [CLS] and [SEP] included */
  readonly maxTokens: number;
  /** tokens per text, without special tokens and without truncation */
  countTokens(texts: readonly string[]): Promise<number[]>;
}

export interface ChunkOptions {
  /** tokens per chunk incl. [CLS]/[SEP] (default min(256, the model's window)) */
  maxTokens?: number;
  /** tokens a chunk repeats from the end of the one before it (default 32) */
  overlapTokens?: number;
}

export const DEFAULT_CHUNK_TOKENS = 256;
export const DEFAULT_OVERLAP_TOKENS = 32;
const SPECIAL_TOKENS = 2;
const PIECE = /\S+/g;

interface Piece {
  start: number;
  end: number;
  tokens: number;
}

/** Pieces of text on whitespace; one longer than the budget is cut (a WordPiece token spans ≥ 1 char). */
async function piecesOf(
  embedder: TokenAwareEmbedder,
  text: string,
  budget: number,
): Promise<Piece[]> {
  const spans = [...text.matchAll(PIECE)].flatMap((m) => {
    const out: { start: number; end: number }[] = [];
    for (let s = m.index; s < m.index + m[0].length; s += budget)
      out.push({ start: s, end: Math.min(s + budget, m.index + m[0].length) });
    return out;
  });
  const counts = await countDistinct(
    embedder,
    spans.map((s) => text.slice(s.start, s.end)),
  );
  return spans.map((s, i) => ({ ...s, tokens: counts[i]! }));
}

/** Counts each distinct word once: texts repeat words a lot. */
async function countDistinct(embedder: TokenAwareEmbedder, words: string[]): Promise<number[]> {
  const distinct = [...new Set(words)];
  const counts = await embedder.countTokens(distinct);
  const byWord = new Map(distinct.map((w, i) => [w, counts[i]!]));
  return words.map((w) => byWord.get(w)!);
}

/**
 * Splits a text into chunks of at most maxTokens tokens (special tokens
 * included), cut on whitespace, each chunk starting about overlapTokens
 * tokens before the end of the previous one. A text that fits is one chunk,
 * unchanged. Counting is per whitespace piece, so a chunk's real token
 * count can differ by the odd token where the tokenizer splits across
 * pieces; the model truncates at its window anyway.
 */
export async function chunkText(
  embedder: TokenAwareEmbedder,
  text: string,
  options: ChunkOptions = {},
): Promise<string[]> {
  const { budget, overlap } = budgetOf(embedder, options);
  const [total] = await embedder.countTokens([text]);
  if ((total ?? 0) <= budget) return [text];
  const pieces = await piecesOf(embedder, text, budget);
  const chunks: string[] = [];
  let first = 0;
  while (first < pieces.length) {
    let last = first;
    let tokens = pieces[first]!.tokens;
    while (last + 1 < pieces.length && tokens + pieces[last + 1]!.tokens <= budget)
      tokens += pieces[++last]!.tokens;
    chunks.push(text.slice(pieces[first]!.start, pieces[last]!.end));
    if (last + 1 >= pieces.length) break;
    let next = last + 1;
    let back = 0;
    while (next - 1 > first && back + pieces[next - 1]!.tokens <= overlap)
      back += pieces[--next]!.tokens;
    first = next;
  }
  return chunks;
}

function budgetOf(
  embedder: TokenAwareEmbedder,
  options: ChunkOptions,
): { budget: number; overlap: number } {
  const window = Math.min(options.maxTokens ?? DEFAULT_CHUNK_TOKENS, embedder.maxTokens);
  const budget = Math.max(1, window - SPECIAL_TOKENS);
  const overlap = Math.min(options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS, Math.floor(budget / 2));
  return { budget, overlap };
}

/** Per text, the vectors of its chunks (in text order), from one embedder call for all chunks. */
export async function embedChunks(
  embedder: TokenAwareEmbedder,
  texts: readonly string[],
  options: ChunkOptions = {},
): Promise<Float32Array[][]> {
  const chunked = await Promise.all(texts.map((t) => chunkText(embedder, t, options)));
  const vectors = await embedder.embed(chunked.flat());
  let next = 0;
  return chunked.map((chunks) => chunks.map(() => vectors[next++]!));
}

/**
 * One best-effort vector per text for the record itself: the text's own
 * vector when it fits the window, otherwise the mean of its chunk vectors,
 * L2-normalised again. That mean stands for the whole text (every part of it
 * counts, unlike truncation, which drops everything past the window), but it
 * is blurrier than any one chunk: a query that matches one passage of a long
 * text scores higher against that chunk's own vector (chunk storage).
 */
export async function embedRecordVector(
  embedder: TokenAwareEmbedder,
  texts: readonly string[],
  options: ChunkOptions = {},
): Promise<Float32Array[]> {
  const perText = await embedChunks(embedder, texts, options);
  return perText.map((chunks) => meanVector(chunks));
}

/** The mean of unit vectors, scaled back to unit length. */
export function meanVector(vectors: readonly Float32Array[]): Float32Array {
  const first = vectors[0];
  if (!first) throw new Error('meanVector of no vectors');
  if (vectors.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const v of vectors) for (let d = 0; d < out.length; d++) out[d] = out[d]! + v[d]!;
  return l2Normalise(out);
}
