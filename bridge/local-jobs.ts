import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { Clock, Logger } from '../infra';
import type { JobContext } from '../scheduler';
import { type AgingTier, subjects } from '../streams';
import { JOB_NAMES, type JobHandler, type JobName } from './jobs';

export interface LocalJobDeps {
  nc?: NatsConnection | undefined;
  log?: Logger | undefined;
  clock: Clock;
  /** tiers whose aging is requested by tier_transition, one event each (default hot, warm) */
  agingTiers?: AgingTier[] | undefined;
}

/** Each job's fallback handler: the given ones, the defaults for the rest. */
export function localHandlers(
  given: Partial<Record<JobName, JobHandler>> | undefined,
  deps: LocalJobDeps,
): Record<JobName, JobHandler> {
  return { ...defaultHandlers(deps), ...definedHandlers(given) };
}

function defaultHandlers(deps: LocalJobDeps): Record<JobName, JobHandler> {
  const { nc, log } = deps;
  return {
    daily_ingest_check: async (ctx) => {
      log?.info({ window: ctx.window }, 'daily ingest check: no handler plugged in');
    },
    tier_transition: (ctx) => publishAgingEvents(ctx, deps),
    health_check: async () => {
      if (nc) await withTimeout(nc.flush(), 5000, 'nats flush');
    },
  };
}

/** `{schema_version: 1, tier, requested_at, window}` on `akosha.aging.<tier>`, one per tier. */
async function publishAgingEvents(ctx: JobContext, deps: LocalJobDeps): Promise<void> {
  const nc = deps.nc;
  if (!nc) throw new Error('tier_transition: no NATS connection to publish aging events on');
  const requestedAt = new Date(deps.clock.now()).toISOString();
  for (const tier of deps.agingTiers ?? ['hot', 'warm']) {
    const h = headers();
    h.set('Nats-Msg-Id', `aging:${tier}:${ctx.window}`);
    const event = { schema_version: 1, tier, requested_at: requestedAt, window: ctx.window };
    nc.publish(subjects.aging(tier), JSON.stringify(event), { headers: h });
  }
  await withTimeout(nc.flush(), 5000, 'nats flush');
}

/** Rejects when `promise` takes longer than `ms`, so that a stuck connection cannot hold a job. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function definedHandlers(
  handlers: Partial<Record<JobName, JobHandler>> | undefined,
): Partial<Record<JobName, JobHandler>> {
  const out: Partial<Record<JobName, JobHandler>> = {};
  for (const name of JOB_NAMES) {
    const handler = handlers?.[name];
    if (handler) out[name] = handler;
  }
  return out;
}
