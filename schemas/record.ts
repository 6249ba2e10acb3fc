import { z } from 'zod';
import { RecordId } from './ids';
import { jsonValueTooDeep, MAX_JSON_DEPTH } from './json-depth';

export const EMBEDDING_DIM = 384;
export const MAX_CONTENT_CHARS = 100_000;

export const IsoTimestamp = z.iso.datetime({ offset: true, local: true });

/** A Session-Buddy memory: a conversation turn or a reflection. */
export const MemoryRecord = z
  .object({
    id: RecordId,
    kind: z.enum(['conversation', 'reflection']),
    content: z.string().min(1).max(MAX_CONTENT_CHARS),
    timestamp: IsoTimestamp,
    project: z.string().max(200).nullable().optional(),
    tags: z.array(z.string().max(100)).max(64).optional(),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((m) => !jsonValueTooDeep(m, MAX_JSON_DEPTH), {
        message: `metadata must not nest deeper than ${MAX_JSON_DEPTH} levels`,
      })
      .optional(),
    embedding: z.array(z.number()).length(EMBEDDING_DIM).nullable().optional(),
  })
  .strict();

export type MemoryRecord = z.infer<typeof MemoryRecord>;
export type MemoryKind = MemoryRecord['kind'];
