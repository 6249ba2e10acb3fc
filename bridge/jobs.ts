import type { JobContext } from '../scheduler';

export const JOB_PERIODS_MS = {
  daily_ingest_check: 24 * 3_600_000,
  tier_transition: 3_600_000,
  health_check: 60_000,
} as const;

export type JobName = keyof typeof JOB_PERIODS_MS;
export const JOB_NAMES = Object.keys(JOB_PERIODS_MS) as JobName[];

/** A job's local work (fallback mode). `() => Promise<void>` fits too. */
export type JobHandler = (ctx: JobContext) => Promise<void>;

/** The MCP tool call that asks Mahavishnu to run a job. */
export interface RemoteCall {
  tool: string;
  arguments: Record<string, unknown>;
}

/** `trigger_workflow` with task_type `akosha_<job>` and the window the job runs for. */
export function defaultRemoteCall(
  job: JobName,
  ctx: JobContext,
  requestedAt: string,
  workflow: { workflowAdapter?: string; workflowTag?: string },
): RemoteCall {
  return {
    tool: 'trigger_workflow',
    arguments: {
      adapter: workflow.workflowAdapter ?? 'prefect',
      task_type: `akosha_${job}`,
      tag: workflow.workflowTag ?? 'akosha',
      params: {
        source: 'akosha',
        job,
        window: ctx.window,
        window_start: new Date(ctx.windowStartMs).toISOString(),
        period_ms: ctx.periodMs,
        requested_at: requestedAt,
      },
    },
  };
}
