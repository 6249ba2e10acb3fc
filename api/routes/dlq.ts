import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AkoshaError } from '../../infra';
import { DeadLetterOps, type RequeueResult } from '../../operations';
import type { QueryDeps } from './deps';
import {
  DlqListQuery,
  DlqPurgeRequest,
  DlqRequeueRequest,
  DlqSeqParams,
  toFilter,
} from './dlq-schemas';
import { invalidRequest, notFound } from './replies';

type RequeueOutcome =
  | ({ ok: true } & RequeueResult)
  | { seq: number; ok: false; error: 'not_found' | 'requeue_failed' }
  | { seq: number; ok: false; error: 'still_invalid'; code: string; issues: AkoshaError['issues'] };

/**
 * The dead-letter queue over HTTP, as `akosha dlq` (operations/dead-letters.ts):
 * list and show (operator), requeue and purge (admin). Letters are addressed by their
 * AKOSHA_DLQ sequence. A NATS failure answers 503 with the request id, nothing more.
 */
export function registerDlqRoutes(app: FastifyInstance, deps: QueryDeps): void {
  let ops: Promise<DeadLetterOps> | undefined;
  const dlq = () => {
    ops ??= DeadLetterOps.fromJetStream(deps.js, deps.maxPayloadBytes).catch((err: unknown) => {
      ops = undefined; // the next request tries again
      throw err;
    });
    return ops;
  };

  app.get('/api/v1/dlq', async (req, reply) => {
    const query = DlqListQuery.safeParse(req.query ?? {});
    if (!query.success) return invalidRequest(reply, query.error.issues);
    const { after, limit } = query.data;
    return withNats(req, reply, async () => {
      const page = await (await dlq()).list(toFilter(query.data), { afterSeq: after, limit });
      const letters = page.letters.map(({ seq, letter }) => {
        const { payload_base64: _payload, ...rest } = letter; // `GET /api/v1/dlq/:seq` has it
        return { seq, ...rest };
      });
      return { letters, ...(page.next !== undefined && { next: page.next }) };
    });
  });

  app.get('/api/v1/dlq/:seq', async (req, reply) => {
    const params = DlqSeqParams.safeParse(req.params);
    if (!params.success) return invalidRequest(reply, params.error.issues);
    return withNats(req, reply, async () => {
      const shown = await (await dlq()).show(params.data.seq).catch(missingAsUndefined);
      return shown ?? notFound(reply);
    });
  });

  app.post('/api/v1/dlq/requeue', async (req, reply) => {
    const body = DlqRequeueRequest.safeParse(req.body ?? {});
    if (!body.success) return invalidRequest(reply, body.error.issues);
    const { seqs, force, keep } = body.data;
    return withNats(req, reply, async () => {
      const results: RequeueOutcome[] = [];
      for (const seq of seqs)
        results.push(await requeueOne(req, await dlq(), seq, { force, keep }));
      return { results };
    });
  });

  app.post('/api/v1/dlq/purge', async (req, reply) => {
    const body = DlqPurgeRequest.safeParse(req.body ?? {});
    if (!body.success) return invalidRequest(reply, body.error.issues);
    return withNats(req, reply, async () => ({
      purged: await (await dlq()).purge(toFilter(body.data)),
    }));
  });
}

async function requeueOne(
  req: FastifyRequest,
  ops: DeadLetterOps,
  seq: number,
  opts: { force: boolean; keep: boolean },
): Promise<RequeueOutcome> {
  if (!(await ops.get(seq).catch(missingAsUndefined)))
    return { seq, ok: false, error: 'not_found' };
  try {
    return { ok: true, ...(await ops.requeue(seq, opts)) };
  } catch (err) {
    if (err instanceof AkoshaError && !err.retryable)
      return { seq, ok: false, error: 'still_invalid', code: err.code, issues: err.issues };
    req.log.error({ err, seq }, 'dead letter requeue failed');
    return { seq, ok: false, error: 'requeue_failed' };
  }
}

/** No letter at that sequence (deleted, or never one): undefined; anything else rethrown. */
function missingAsUndefined(err: unknown): undefined {
  const e = err as { code?: unknown; message?: string };
  if (Number(e.code) === 10037 || /^no dead letter at /.test(e.message ?? '')) return undefined;
  throw err;
}

async function withNats<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  task: () => Promise<T>,
): Promise<T | FastifyReply> {
  try {
    return await task();
  } catch (err) {
    req.log.error({ err }, 'dead-letter queue unavailable');
    return reply.code(503).send({ error: 'nats_unavailable', request_id: req.id });
  }
}
