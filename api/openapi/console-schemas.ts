import { z } from 'zod';
import { ACCESS_ROLES } from '../../auth';
import { FailedWriter } from './responses';

/**
 * Response bodies of the routes the operator console reads besides the older ones
 * (whoami, tiers, cache), as zod: rendered into the OpenAPI document, and the tests parse
 * real responses with them strictly.
 */

const Count = z.number().int().nonnegative();

export const WhoAmI = z.object({
  name: z.string(),
  role: z.enum(ACCESS_ROLES),
  systems: z
    .union([z.literal('*'), z.array(z.string())])
    .describe('the scope: every system, or these'),
  via: z.string().describe('how the caller was established: token, jwt, cert, loopback, ...'),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

const CacheLayer = z.object({ hits: Count, misses: Count });
export const CacheStats = z.object({
  lookups: Count,
  hits: Count.describe('lookups answered by L1 or L2'),
  hit_ratio: z.number().min(0).max(1).nullable().describe('hits / lookups; null before any'),
  layers: z.object({ l1: CacheLayer, l2: CacheLayer }),
});
export type CacheStats = z.infer<typeof CacheStats>;

const TierSize = z.object({
  records: Count,
  bytes: Count.describe("hot and warm: the records' text, metadata and vectors; cold: Parquet"),
});
const TierTotal = TierSize.extend({
  disk_bytes: Count.optional().describe(
    "the tier's files (hot, warm) or objects (cold); only for a caller of every system",
  ),
});

export const TiersResponse = z.object({
  tiers: z.object({ hot: TierTotal, warm: TierTotal, cold: TierTotal }),
  systems: z.array(
    z.object({
      system_id: z.string(),
      shard: z.number().int().min(0).max(255),
      hot: TierSize,
      warm: TierSize,
      cold: TierSize,
    }),
  ),
  partial: z.literal(true).optional().describe('some writer process did not answer: see failed'),
  failed: z.array(FailedWriter).optional(),
});
export type TiersResponse = z.infer<typeof TiersResponse>;
