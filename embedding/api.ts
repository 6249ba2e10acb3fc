import { z } from 'zod';
import { AkoshaError, issuesFrom } from '../infra';
import type { Embedder } from './embedder';

/** The Python Akosha's limits for the embedding tools. */
export const EMBEDDING_API_LIMITS = {
  maxTextChars: 10_000,
  maxTexts: 1_000,
  maxTotalChars: 1_000_000,
  maxBatchSize: 128,
  defaultBatchSize: 32,
} as const;

const L = EMBEDDING_API_LIMITS;
const Text = z
  .string()
  .min(1, 'text must not be empty')
  .max(L.maxTextChars, `text must be at most ${L.maxTextChars} characters`);

/** arguments of `generate_embedding(text)` */
export const GenerateEmbeddingArgs = z.object({ text: Text });
export type GenerateEmbeddingArgs = z.infer<typeof GenerateEmbeddingArgs>;

/** arguments of `generate_batch_embeddings(texts, batch_size=32)` */
export const GenerateBatchEmbeddingsArgs = z
  .object({
    texts: z
      .array(Text)
      .min(1, 'texts must hold at least one text')
      .max(L.maxTexts, `texts must hold at most ${L.maxTexts} texts`),
    batch_size: z
      .number()
      .int('batch_size must be an integer')
      .min(1, 'batch_size must be at least 1')
      .max(L.maxBatchSize, `batch_size must be at most ${L.maxBatchSize}`)
      .default(L.defaultBatchSize),
  })
  .superRefine((args, ctx) => {
    const total = args.texts.reduce((n, t) => n + t.length, 0);
    if (total > L.maxTotalChars)
      ctx.addIssue({
        code: 'custom',
        path: ['texts'],
        message: `texts hold ${total} characters in all, at most ${L.maxTotalChars} allowed`,
      });
  });
export type GenerateBatchEmbeddingsArgs = z.infer<typeof GenerateBatchEmbeddingsArgs>;

export const GenerateEmbeddingResult = z.object({
  embedding_dim: z.number().int(),
  embedding: z.array(z.number()),
  /** the embedder's name (Python Akosha: "mode") and the model that produced the vector */
  mode: z.string(),
  model: z.string(),
});
export type GenerateEmbeddingResult = z.infer<typeof GenerateEmbeddingResult>;

export const GenerateBatchEmbeddingsResult = z.object({
  embedding_dim: z.number().int(),
  embeddings: z.array(z.array(z.number())),
  count: z.number().int(),
  mode: z.string(),
  model: z.string(),
});
export type GenerateBatchEmbeddingsResult = z.infer<typeof GenerateBatchEmbeddingsResult>;

/** zod-checks tool arguments; a failure is a SCHEMA_INVALID AkoshaError with `{path, message}` issues. */
export function parseArgs<S extends z.ZodType>(
  schema: S,
  args: unknown,
  tool: string,
): z.output<S> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  const issues = issuesFrom(parsed.error.issues);
  throw new AkoshaError(
    'SCHEMA_INVALID',
    `${tool}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    { issues },
  );
}

/** `generate_embedding(text)` → `{embedding_dim, embedding, mode}`; mode is the embedder's name. */
export async function generateEmbedding(
  embedder: Embedder,
  args: unknown,
): Promise<GenerateEmbeddingResult> {
  const { text } = parseArgs(GenerateEmbeddingArgs, args, 'generate_embedding');
  const [vector] = await embedder.embed([text]);
  return {
    embedding_dim: vector!.length,
    embedding: Array.from(vector!),
    mode: embedder.info.name,
    model: embedder.info.model,
  };
}

/**
 * `generate_batch_embeddings(texts, batch_size=32)` → `{embedding_dim, embeddings, count, mode}`.
 * The texts go to the embedder in calls of batch_size texts.
 */
export async function generateBatchEmbeddings(
  embedder: Embedder,
  args: unknown,
): Promise<GenerateBatchEmbeddingsResult> {
  const { texts, batch_size } = parseArgs(
    GenerateBatchEmbeddingsArgs,
    args,
    'generate_batch_embeddings',
  );
  const embeddings: number[][] = [];
  for (let i = 0; i < texts.length; i += batch_size) {
    const vectors = await embedder.embed(texts.slice(i, i + batch_size));
    embeddings.push(...vectors.map((v) => Array.from(v)));
  }
  return {
    embedding_dim: embedder.info.dim,
    embeddings,
    count: embeddings.length,
    mode: embedder.info.name,
    model: embedder.info.model,
  };
}
