import { z } from 'zod';

/**
 * Response bodies of the query routes as zod: the OpenAPI document renders them with
 * z.toJSONSchema, and the tests parse real responses with them (strictly), so the
 * document cannot drift from what the routes send.
 */

const Int = z.number().int();
const Count = Int.nonnegative();
const Shard = Int.min(0).max(255);
const Tier = z.enum(['hot', 'warm', 'cold']);
const IsoTime = z.string().describe('ISO-8601, UTC');

export const Issue = z.object({ path: z.string(), message: z.string() });

export const InvalidRequest = z.object({
  error: z.literal('invalid_request'),
  message: z.string().optional(),
  issues: z.array(Issue),
});
export const NotFound = z.object({ error: z.literal('not_found') });
export const NoShards = z.object({ error: z.literal('no_shards'), message: z.string() });
export const NatsUnavailable = z.object({
  error: z.literal('nats_unavailable'),
  message: z.string(),
});

export const Memory = z.object({
  system_id: z.string(),
  id: z.string(),
  kind: z.string(),
  content: z.string().describe('the full text, or the summary where `summary` is true'),
  summary: z
    .literal(true)
    .optional()
    .describe('present when the tier keeps a summary instead of the text (warm, cold, restored)'),
  timestamp: IsoTime,
  project: z.string().nullable(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  upload_id: z.string(),
  shard: Shard,
  tier: Tier,
  embedder_model: z.string(),
  ingested_at: IsoTime,
});
export type Memory = z.infer<typeof Memory>;

const TierCounts = z.object({ hot: Count, warm: Count, cold: Count });

/** A writer process asked over NATS that gave no answer (`none`: no writer holds the groups). */
export const FailedWriter = z.object({
  writer: z.string().describe('lease owner, <host>:<hot dir>, or none'),
  groups: z.array(Int),
  reason: z.enum(['timeout', 'error']),
  message: z.string(),
});

export const SystemsResponse = z.object({
  systems: z.array(
    TierCounts.extend({ system_id: z.string(), shard: Shard, total: Count }).describe(
      'records of one system per tier',
    ),
  ),
  totals: TierCounts,
  partial: z.literal(true).optional().describe('some writer process did not answer: see failed'),
  failed: z.array(FailedWriter).optional(),
});
export type SystemsResponse = z.infer<typeof SystemsResponse>;

export const Readiness = z.object({
  ready: z.boolean(),
  consuming: z.boolean(),
  nats: z.string(),
  roles: z.array(z.enum(['ingest', 'writer', 'api', 'scheduler'])),
  embedder: z.string(),
  orchestrator: z
    .object({
      mode: z.enum(['normal', 'fallback']),
      breaker_state: z.enum(['closed', 'open', 'half_open']),
      last_contact: IsoTime.nullable(),
      mahavishnu_url: z.string().nullable(),
    })
    .optional(),
});

const ConsumerStatus = z.object({
  name: z.string(),
  num_pending: Count,
  num_ack_pending: Count,
  num_redelivered: Count,
  delivered_stream_seq: Int.describe('stream sequence of the last message delivered'),
  ack_floor_stream_seq: Int.describe('stream sequence below which every message is acked'),
});

const StreamStatus = z.discriminatedUnion('exists', [
  z.object({
    name: z.string(),
    exists: z.literal(true),
    messages: Count,
    bytes: Count,
    first_seq: Int,
    last_seq: Int,
    consumer_count: Count,
    consumers: z.array(ConsumerStatus).describe('durable consumers'),
  }),
  z.object({ name: z.string(), exists: z.literal(false) }),
]);

export const StatusResponse = z.object({
  readiness: Readiness,
  streams: z.array(StreamStatus),
  writer: z.object({
    hot_shards: z.array(Shard).describe('hot shard files this process has open'),
    warm_shards: z.array(Shard).describe('warm shard files this process has open'),
    writers: z
      .array(
        z.union([
          z.object({
            owner: z.string(),
            groups: z.array(Int),
            hot_shards: z.array(Shard),
            warm_shards: z.array(Shard),
            ready: z.boolean(),
          }),
          FailedWriter,
        ]),
      )
      .optional()
      .describe('a process without every shard group: each writer asked, shards then are theirs'),
    leases: z
      .array(z.object({ group: Int, owner: z.string(), renewed_at: IsoTime }))
      .describe('shard groups claimed by every running writer'),
  }),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

export const Health = z.object({ status: z.literal('ok'), uptime_s: Int });

export const McpStatus = z.object({
  status: z.literal('ok'),
  service: z.literal('akosha'),
  ready: z.boolean(),
  tools: z.array(z.string()),
});
