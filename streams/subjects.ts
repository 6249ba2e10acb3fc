import { createHash } from 'node:crypto';
import { SHARD_COUNT } from '../schemas';

/** The tiers whose aging is requested on `akosha.aging.<tier>`. */
export type AgingTier = 'hot' | 'warm';

/**
 * Subject layout, the only place subjects are spelled (a test fails on an `akosha.` subject
 * literal elsewhere). Tokens after the prefix are what a consumer filter can select on.
 */
export const subjects = {
  upload: (shard: number, systemId: string) => `akosha.uploads.${shard}.${systemId}`,
  uploadsAll: 'akosha.uploads.>',
  uploadsOfShard: (shard: number) => `akosha.uploads.${shard}.>`,
  uploadsOfSystem: (systemId: string) => `akosha.uploads.*.${systemId}`,
  embedded: (group: number, shard: number) => `akosha.embedded.${group}.${shard}`,
  embeddedGroup: (group: number) => `akosha.embedded.${group}.>`,
  embeddedAll: 'akosha.embedded.>',
  ingested: (systemId: string) => `akosha.ingested.${systemId}`,
  ingestedAll: 'akosha.ingested.>',
  deadLetter: (stage: string) => `akosha.dlq.${stage}`,
  deadLetterAll: 'akosha.dlq.>',
  /** knowledge-graph statements of one system (schemas/graph.ts) */
  graph: (shard: number, systemId: string) => `akosha.graph.${shard}.${systemId}`,
  graphAll: 'akosha.graph.>',
  graphOfSystem: (systemId: string) => `akosha.graph.*.${systemId}`,
  /** one Session-Buddy upload found in the bucket, to import (cloud/) */
  cloudUpload: (systemId: string) => `akosha.cloud.uploads.${systemId}`,
  cloudUploadsAll: 'akosha.cloud.uploads.>',
  /** the default subject of MinIO's bucket notifications (AKOSHA_SB_EVENTS_SUBJECT) */
  cloudEvents: 'akosha.cloud.s3events',
  /** requests to the writer that owns the group: `akosha replay --online` */
  replayRequest: (group: number) => `akosha.ops.replay.${group}`,
  aging: (tier: AgingTier) => `akosha.aging.${tier}`,
  agingAll: 'akosha.aging.*',
  /** the audit trail; an action is dotted (`dlq.requeue`), so it spans tokens */
  audit: (action: string) => `akosha.audit.${action}`,
  auditAll: 'akosha.audit.>',
  /** a system's own CLI run (`akosha publish`): the audit subjects its NATS user may publish */
  auditOfSystem: (action: SystemAuditAction, systemId: string) =>
    `akosha.audit.${action}.${systemId}`,
  /** a query endpoint of one writer process (`writer`: writerToken of its lease owner) */
  query: (writer: string, endpoint: string) => `akosha.query.${writer}.${endpoint}`,
  /** a knowledge-graph query, answered by the process that holds the graph */
  graphQuery: (endpoint: string) => `akosha.query.graph.${endpoint}`,
};

/**
 * The CLI actions a producing system runs with its own NATS credential; each is recorded on
 * `akosha.audit.<action>.<system_id>`, so that credential may record exactly its own.
 */
export const SYSTEM_AUDIT_ACTIONS = ['publish', 'import_session_buddy'] as const;
export type SystemAuditAction = (typeof SYSTEM_AUDIT_ACTIONS)[number];

/** The NATS micro service every writer process offers its query endpoints as. */
export const QUERY_SERVICE = 'akosha-query';

/**
 * One subject token per writer process, from its lease owner (`<host>:<hot dir>`, which
 * holds characters a token may not): `w` and 16 hex digits of its sha256.
 */
export function writerToken(owner: string): string {
  return `w${createHash('sha256').update(owner).digest('hex').slice(0, 16)}`;
}

/** Shards are split into contiguous ranges so that a writer can own a range. */
export function groupOfShard(shard: number, groupCount: number): number {
  return Math.floor(shard / (SHARD_COUNT / groupCount));
}

export function shardsOfGroup(group: number, groupCount: number): number[] {
  const size = SHARD_COUNT / groupCount;
  return Array.from({ length: size }, (_, i) => group * size + i);
}

/** Parses akosha.uploads.<shard>.<system_id>; undefined when the subject is not of that form. */
export function parseUploadSubject(
  subject: string,
): { shard: number; systemId: string } | undefined {
  return parseShardSubject(subject, 'uploads');
}

/** Parses akosha.graph.<shard>.<system_id>; undefined when the subject is not of that form. */
export function parseGraphSubject(
  subject: string,
): { shard: number; systemId: string } | undefined {
  return parseShardSubject(subject, 'graph');
}

function parseShardSubject(
  subject: string,
  kind: 'uploads' | 'graph',
): { shard: number; systemId: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'akosha' || parts[1] !== kind) return undefined;
  const shard = Number(parts[2]);
  if (!Number.isInteger(shard) || shard < 0 || shard >= SHARD_COUNT) return undefined;
  return { shard, systemId: parts[3] as string };
}

/** Parses akosha.embedded.<group>.<shard>; undefined when the subject is not of that form. */
export function parseEmbeddedSubject(
  subject: string,
): { group: number; shard: number } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || parts[0] !== 'akosha' || parts[1] !== 'embedded') return undefined;
  const [group, shard] = [Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(group) || !Number.isInteger(shard) || group < 0) return undefined;
  if (shard < 0 || shard >= SHARD_COUNT) return undefined;
  return { group, shard };
}
