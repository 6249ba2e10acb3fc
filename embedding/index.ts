/**
 * Text to 384-dimension vectors: the hashing and model embedders (in-process or a worker pool),
 * chunked embedding, vector encoding, and the generate_embedding(s) tools.
 * Exports the embedder factory and interface, those tools, and the helpers other stages use.
 */

export {
  GenerateBatchEmbeddingsArgs,
  GenerateBatchEmbeddingsResult,
  GenerateEmbeddingArgs,
  GenerateEmbeddingResult,
  generateBatchEmbeddings,
  generateEmbedding,
} from './api';
export { embedTexts } from './chunking';
export type { TextVectors } from './chunking';
export type { Embedder } from './embedder';
export { createEmbedder, embedderModelId } from './factory';
export { HashingEmbedder } from './hashing-embedder';
export { pullModel } from './model-embedder';
export { decodeVector, encodeVector } from './vector';
