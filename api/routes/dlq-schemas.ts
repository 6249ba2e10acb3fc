import { z } from 'zod';
import { type ErrorCode, ErrorCodes } from '../../infra';
import { DeadLetterStage, SystemId } from '../../schemas';
import type { DeadLetterFilter } from '../../operations';

/** Letters per page of `GET /api/v1/dlq`. */
export const MAX_DLQ_PAGE = 500;
/** Letters per `POST /api/v1/dlq/requeue`. */
export const MAX_REQUEUE = 100;

const AGE_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO-8601 time, or an age like `90m`, `12h`, `7d` (as `akosha dlq --since`). */
const Since = z
  .union([
    z.iso.datetime({ offset: true }),
    z.string().regex(/^\d{1,9}[smhd]$/, 'an ISO-8601 time or an age like 90m, 12h, 7d'),
  ])
  .transform((s) => {
    const age = /^(\d+)([smhd])$/.exec(s);
    return new Date(age ? Date.now() - Number(age[1]) * AGE_MS[age[2]!]! : Date.parse(s));
  });

/** The filters of `akosha dlq list` and `purge`. */
export const DlqFilter = z.object({
  stage: DeadLetterStage.optional(),
  code: z.enum(Object.keys(ErrorCodes) as [ErrorCode, ...ErrorCode[]]).optional(),
  system_id: SystemId.optional(),
  since: Since.optional(),
});

export const DlqListQuery = DlqFilter.extend({
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_DLQ_PAGE).default(100),
}).strict();

export const DlqSeqParams = z.object({ seq: z.coerce.number().int().positive() });

export const DlqRequeueRequest = z
  .object({
    seqs: z.array(z.number().int().positive()).min(1).max(MAX_REQUEUE),
    /** republish even when the payload still fails validation */
    force: z.boolean().default(false),
    /** leave the letters in AKOSHA_DLQ */
    keep: z.boolean().default(false),
  })
  .strict();

export const DlqPurgeRequest = DlqFilter.extend({
  /** must be true: a purge deletes letters for good */
  confirm: z.literal(true),
  /** required when no filter is given: every letter goes */
  all: z.literal(true).optional(),
})
  .strict()
  .refine(
    (r) => r.all === true || [r.stage, r.code, r.system_id, r.since].some((v) => v !== undefined),
    { message: 'no filter given: pass "all": true to purge every dead letter', path: ['all'] },
  );

export const toFilter = (f: z.infer<typeof DlqFilter>): DeadLetterFilter => ({
  stage: f.stage,
  code: f.code,
  systemId: f.system_id,
  since: f.since,
});
