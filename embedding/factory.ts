import type { Embedder } from './embedder';
import { HASHING_MODEL, HashingEmbedder } from './hashing-embedder';
import { ModelEmbedder, modelIdOf } from './model-embedder';
import { WorkerPoolEmbedder } from './worker-pool';
import { EMBEDDER_DEFAULTS, type EmbedderOptions } from '../infra';

export const DEFAULT_MODEL: string = EMBEDDER_DEFAULTS.model;

/** The `info.model` the configured embedder will report, without loading it. */
export function embedderModelId(options: EmbedderOptions): string {
  if (options.kind === 'hashing') return HASHING_MODEL;
  return modelIdOf(
    options.model ?? DEFAULT_MODEL,
    options.dtype ?? EMBEDDER_DEFAULTS.dtype,
    options.cacheDir,
  );
}

/**
 * The embedder the pipeline runs: 'hashing' (offline, no model) or 'model'
 * (transformers.js; a worker pool by default, one in-process session with
 * workers: 0). Loading fails (missing model, wrong dimension) before anything
 * is consumed.
 */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  if (options.kind === 'hashing') return new HashingEmbedder();
  const modelOptions = {
    model: options.model ?? DEFAULT_MODEL,
    ...(options.dtype ? { dtype: options.dtype } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.allowRemote ? { allowRemote: true } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  };
  if (options.workers === 0) return ModelEmbedder.load(modelOptions);
  return WorkerPoolEmbedder.start({
    ...modelOptions,
    ...(options.workers ? { workers: options.workers } : {}),
    nice: options.nice ?? EMBEDDER_DEFAULTS.nice,
  });
}
