import type { Embedder } from './embedder';
import { HASHING_MODEL, HashingEmbedder } from './hashing-embedder';
import { ModelEmbedder, modelIdOf, type ModelDtype } from './model-embedder';
import { WorkerPoolEmbedder } from './worker-pool';
import { EMBEDDER_DEFAULTS } from '../infra/defaults';

export interface EmbedderOptions {
  kind: 'hashing' | 'model';
  /** model directory or id (kind 'model'; default DEFAULT_MODEL) */
  model?: string;
  /** default EMBEDDER_DEFAULTS.dtype (infra/defaults.ts) */
  dtype?: ModelDtype;
  /** worker threads; 0 runs one in-process session on all cores (default: one worker per core) */
  workers?: number;
  /** texts per ONNX run (default 32) */
  batchSize?: number;
  /** download a missing model id into cacheDir (default false) */
  allowRemote?: boolean;
  /** where model ids are looked up (default ./data/models) */
  cacheDir?: string;
}

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
  });
}
