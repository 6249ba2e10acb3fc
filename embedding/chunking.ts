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

/** Where a chunk of a text starts and ends (UTF-16 offsets, end exclusive). */
export interface TextSpan {
  start: number;
  end: number;
}

/**
 * Splits a text into chunks of at most maxTokens tokens (special tokens
 * included), cut on whitespace, each chunk starting about overlapTokens
 * tokens before the end of the previous one. A text that fits is one chunk,
 * unchanged. Counting is per whitespace piece, so a chunk's real token
 * count can differ by the odd token where the tokenizer splits across
 * pieces; the model truncates at its window anyway.
 */
export async function chunkSpans(
  embedder: TokenAwareEmbedder,
  text: string,
  options: ChunkOptions = {},
): Promise<TextSpan[]> {
  const { budget, overlap } = budgetOf(embedder, options);
  const whole = [{ start: 0, end: text.length }];
  // a WordPiece token covers at least one character: a short text needs no count
  if (text.length <= budget) return whole;
  const [total] = await embedder.countTokens([text]);
  if ((total ?? 0) <= budget) return whole;
  const pieces = await piecesOf(embedder, text, budget);
  const spans: TextSpan[] = [];
  let first = 0;
  while (first < pieces.length) {
    let last = first;
    let tokens = pieces[first]!.tokens;
    while (last + 1 < pieces.length && tokens + pieces[last + 1]!.tokens <= budget)
      tokens += pieces[++last]!.tokens;
    spans.push({ start: pieces[first]!.start, end: pieces[last]!.end });
    if (last + 1 >= pieces.length) break;
    let next = last + 1;
    let back = 0;
    while (next - 1 > first && back + pieces[next - 1]!.tokens <= overlap)
      back += pieces[--next]!.tokens;
    first = next;
  }
  return spans;
}

export async function chunkText(
  embedder: TokenAwareEmbedder,
  text: string,
  options: ChunkOptions = {},
): Promise<string[]> {
  const spans = await chunkSpans(embedder, text, options);
  return spans.map((s) => text.slice(s.start, s.end));
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

export function isTokenAware(embedder: Embedder): embedder is TokenAwareEmbedder {
  const e = embedder as Partial<TokenAwareEmbedder>;
  return typeof e.countTokens === 'function' && typeof e.maxTokens === 'number';
}

/** A text's vectors: one for the record, and one per passage when it was split. */
export interface TextVectors {
  /**
   * The text's own vector when it fits the window, otherwise the mean of its
   * passage vectors, L2-normalised again: every part of the text counts
   * (truncation would drop everything past the window), but it is blurrier
   * than any one passage, so a query matching one passage scores higher
   * against that passage's own vector.
   */
  vector: Float32Array;
  /** empty when the text fits the window */
  passages: (TextSpan & { vector: Float32Array })[];
}

/** Per text, its record vector and passage vectors, from one embedder call for all passages. */
export async function embedTexts(
  embedder: Embedder,
  texts: readonly string[],
  options: ChunkOptions = {},
): Promise<TextVectors[]> {
  if (!isTokenAware(embedder)) {
    const vectors = await embedder.embed(texts);
    return vectors.map((vector) => ({ vector, passages: [] }));
  }
  const spans = await Promise.all(texts.map((t) => chunkSpans(embedder, t, options)));
  const pieces = spans.flatMap((list, i) => list.map((s) => texts[i]!.slice(s.start, s.end)));
  const vectors = await embedder.embed(pieces);
  let next = 0;
  return spans.map((list) => {
    const passages = list.map((span) => ({ ...span, vector: vectors[next++]! }));
    if (passages.length === 1) return { vector: passages[0]!.vector, passages: [] };
    return { vector: meanVector(passages.map((p) => p.vector)), passages };
  });
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
