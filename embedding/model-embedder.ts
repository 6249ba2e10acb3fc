import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers' with {
  'resolution-mode': 'import',
};
import { EMBEDDING_DIM } from '../schemas';
import type { Embedder } from './embedder';
import { l2Normalise } from './vector';
import { EMBEDDER_DEFAULTS, type ModelDtype } from '../infra';

export interface ModelEmbedderOptions {
  /** a local model directory, or a model id looked up as `<cacheDir>/<id>` */
  model: string;
  /** 'fp32' loads onnx/model.onnx, 'q8' onnx/model_quantized.onnx (default q8) */
  dtype?: ModelDtype;
  /** texts per ONNX run (default 32); a bigger embed() call is split */
  batchSize?: number;
  /** where model ids live (default ./data/models); a directory path in `model` ignores it */
  cacheDir?: string;
  /** download a missing model id from the hub into cacheDir (default false: offline) */
  allowRemote?: boolean;
  /** ONNX intra-op threads (default: onnxruntime's own choice, all cores) */
  intraOpThreads?: number;
  /** the dimension the index stores (default 384): a model of another size is refused */
  expectedDim?: number;
  /** tokens per text incl. [CLS]/[SEP]; longer texts are truncated (default min(512, model max)) */
  maxTokens?: number;
}

export const DEFAULT_MODEL_CACHE_DIR = join('data', 'models');

/** transformers.js is an ES module: loaded once, on first use (not when Akosha runs the hashing embedder). */
type Transformers = typeof import('@huggingface/transformers', {
  with: { 'resolution-mode': 'import' },
});
let transformers: Promise<Transformers> | undefined;
export function loadTransformers(): Promise<Transformers> {
  transformers ??= import('@huggingface/transformers');
  return transformers;
}

interface ModelConfig {
  hidden_size?: number;
  max_position_embeddings?: number;
}

/** Where a model is loaded from: a directory on disk, or (allowRemote) a hub id into cacheDir. */
export function resolveModelLocation(
  model: string,
  cacheDir = DEFAULT_MODEL_CACHE_DIR,
): { dir: string; id: string | undefined } {
  const asPath = isAbsolute(model) || model.startsWith('.') ? resolve(model) : undefined;
  if (asPath) return { dir: asPath, id: undefined };
  if (existsSync(join(model, 'config.json'))) return { dir: resolve(model), id: undefined };
  return { dir: resolve(cacheDir, model), id: model };
}

/** How vectors of this model and dtype are labelled: `<hub id or directory name>:<dtype>`. */
export function modelIdOf(model: string, dtype: ModelDtype, cacheDir?: string): string {
  const { dir, id } = resolveModelLocation(model, cacheDir);
  return `${id ?? basename(dir)}:${dtype}`;
}

export function modelFileName(dtype: ModelDtype): string {
  return dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
}

/** The error for a model that is not on disk: where we looked and how to get it there. */
export function missingModelError(model: string, dir: string, dtype: ModelDtype): Error {
  const missing = ['config.json', 'tokenizer.json', modelFileName(dtype)].filter(
    (f) => !existsSync(join(dir, f)),
  );
  return new Error(
    `embedding model "${model}" not found: looked in ${dir} (missing ${missing.join(', ')}). ` +
      `Fix: run \`akosha model pull ${model}\` on a machine with network access and copy that ` +
      `directory here, point AKOSHA_EMBEDDING_MODEL at a local model directory (config.json, ` +
      `tokenizer.json, ${modelFileName(dtype)}), or set AKOSHA_EMBEDDER=hashing.`,
  );
}

function checkDim(options: ModelEmbedderOptions, config: ModelConfig): void {
  const dim = config.hidden_size;
  const expected = options.expectedDim ?? EMBEDDING_DIM;
  if (dim !== expected)
    throw new Error(
      `embedding model "${options.model}" gives ${dim ?? 'unknown'}-d vectors but the index ` +
        `stores ${expected}-d ones: use a ${expected}-d model (e.g. all-MiniLM-L6-v2) or ` +
        `rebuild the index`,
    );
}

function readConfig(dir: string): ModelConfig {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ModelConfig;
}

/**
 * Sentence embeddings from a local BERT-style ONNX model through transformers.js:
 * tokenise (truncating at maxTokens), run the encoder, mean-pool the last hidden
 * state over the attention mask, L2-normalise. Texts are sorted by length before
 * batching so that a batch pads little; results come back in input order.
 */
export class ModelEmbedder implements Embedder {
  readonly info: { name: string; model: string; dim: number };

  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly maxTokens: number,
    private readonly batchSize: number,
    info: { name: string; model: string; dim: number },
  ) {
    this.info = info;
  }

  static async load(options: ModelEmbedderOptions): Promise<ModelEmbedder> {
    const dtype = options.dtype ?? EMBEDDER_DEFAULTS.dtype;
    const { dir, id } = resolveModelLocation(options.model, options.cacheDir);
    const local = ['config.json', 'tokenizer.json', modelFileName(dtype)].every((f) =>
      existsSync(join(dir, f)),
    );
    if (!local && !(options.allowRemote && id)) throw missingModelError(options.model, dir, dtype);
    // a local model of the wrong size is refused before its weights are loaded
    if (local) checkDim(options, readConfig(dir));
    const { AutoModel, AutoTokenizer, env } = await loadTransformers();
    env.allowLocalModels = true;
    env.allowRemoteModels = !local && options.allowRemote === true;
    const source = local ? dir : id!;
    const hubOptions = {
      local_files_only: local,
      ...(local ? {} : { cache_dir: resolve(options.cacheDir ?? DEFAULT_MODEL_CACHE_DIR) }),
    };
    const sessionOptions = options.intraOpThreads
      ? { intraOpNumThreads: options.intraOpThreads, interOpNumThreads: 1 }
      : {};
    const [tokenizer, model] = await Promise.all([
      AutoTokenizer.from_pretrained(source, hubOptions),
      AutoModel.from_pretrained(source, {
        ...hubOptions,
        dtype,
        device: 'cpu',
        session_options: sessionOptions,
      }),
    ]);
    const config = local ? readConfig(dir) : (model.config as unknown as ModelConfig);
    try {
      checkDim(options, config);
    } catch (err) {
      await model.dispose();
      throw err;
    }
    const dim = config.hidden_size!;
    const modelMax = Math.min(config.max_position_embeddings ?? 512, 512);
    const maxTokens = Math.min(options.maxTokens ?? modelMax, modelMax);
    const batchSize = options.batchSize ?? EMBEDDER_DEFAULTS.batchSize;
    return new ModelEmbedder(tokenizer, model, maxTokens, batchSize, {
      name: 'model',
      model: modelIdOf(options.model, dtype, options.cacheDir),
      dim,
    });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const slice = order.slice(start, start + this.batchSize);
      const vectors = await this.embedBatch(slice.map((i) => texts[i]!));
      slice.forEach((index, j) => (out[index] = vectors[j]!));
    }
    return out;
  }

  /** Tokens per text without [CLS]/[SEP] and without truncation (for chunking). */
  async countTokens(texts: readonly string[]): Promise<number[]> {
    return texts.map((t) => this.tokenizer.encode(t, { add_special_tokens: false }).length);
  }

  async close(): Promise<void> {
    await this.model.dispose();
  }

  private async embedBatch(texts: string[]): Promise<Float32Array[]> {
    const inputs = this.tokenizer(texts, {
      padding: true,
      truncation: true,
      max_length: this.maxTokens,
    }) as Record<string, Tensor>;
    const output = (await this.model(inputs)) as { last_hidden_state: Tensor };
    const vectors = meanPool(output.last_hidden_state, inputs['attention_mask']!);
    output.last_hidden_state.dispose();
    return vectors;
  }
}

/**
 * Downloads a model id into `<cacheDir>/<id>` (for `akosha model pull <id>`, on a
 * machine with network access) and returns that directory.
 */
export async function pullModel(
  id: string,
  options: { cacheDir?: string; dtype?: ModelDtype; expectedDim?: number } = {},
): Promise<string> {
  const embedder = await ModelEmbedder.load({ ...options, model: id, allowRemote: true });
  await embedder.close();
  return resolveModelLocation(id, options.cacheDir).dir;
}

/** Mean of the hidden states of the attended tokens, L2-normalised: one vector per text. */
export function meanPool(hidden: Tensor, mask: Tensor): Float32Array[] {
  const [batch, seq, dim] = hidden.dims as [number, number, number];
  const data = hidden.data as Float32Array;
  const attended = mask.data as BigInt64Array;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    let count = 0;
    for (let s = 0; s < seq; s++) {
      if (attended[b * seq + s] === 0n) continue;
      count++;
      const offset = (b * seq + s) * dim;
      for (let d = 0; d < dim; d++) v[d] = v[d]! + data[offset + d]!;
    }
    if (count > 0) for (let d = 0; d < dim; d++) v[d] = v[d]! / count;
    out.push(l2Normalise(v));
  }
  return out;
}
