import { type Embedder, embedTexts, type TextVectors } from '../embedding';
import type { EmbedderInfo } from '../schemas';
import type { DecodedUpload } from './decode-upload';

/** Session-Buddy embeds with this model (DESIGN.md); its vectors fit an index of the same model. */
export const PRODUCER_MODEL = 'all-MiniLM-L6-v2';

/** Same model whatever the hub namespace: `Xenova/all-MiniLM-L6-v2` ≡ `all-MiniLM-L6-v2`. */
export function sameModel(a: string, b: string): boolean {
  const base = (m: string) => m.split('/').pop()!.toLowerCase();
  return base(a) === base(b);
}

export interface RecordVectors extends TextVectors {
  /** the producer's own vector was kept */
  fromProducer: boolean;
}

export interface EmbeddedUploads {
  vectors: Map<DecodedUpload, RecordVectors[]>;
  /** producer vectors dropped because another model made them, and recomputed */
  producerVectorsReplaced: number;
}

/**
 * Vectors for every valid record of the uploads, from one embedder call. A
 * producer's vector is kept only when it comes from the embedder's own model:
 * an index never mixes vectors of two models.
 */
export async function embedRecords(
  uploads: DecodedUpload[],
  embedder: Embedder,
): Promise<EmbeddedUploads> {
  const keepProducer = acceptsProducerVectors(embedder.info);
  const needs = (r: DecodedUpload['records'][number]) => !(keepProducer && r.embedding);
  const texts = uploads.flatMap((u) => u.records.filter(needs).map((r) => r.record.content));
  const computed = texts.length ? await embedTexts(embedder, texts) : [];
  let next = 0;
  let producerVectorsReplaced = 0;
  const vectors = new Map(
    uploads.map((u) => [
      u,
      u.records.map((r): RecordVectors => {
        if (!needs(r)) return { vector: r.embedding!, passages: [], fromProducer: true };
        if (r.embedding) producerVectorsReplaced++;
        return { ...computed[next++]!, fromProducer: false };
      }),
    ]),
  );
  return { vectors, producerVectorsReplaced };
}

export const acceptsProducerVectors = (info: EmbedderInfo) => sameModel(info.model, PRODUCER_MODEL);
