import type { Part } from './cluster';
import { RUN_SETTINGS } from './harness';
import { between, sleep, waitForEvents, type ScenarioContext } from './scenario';

/** Restart delays on both sides of the duplicate window. */
export const SHORT_DELAY_MS = Math.floor(RUN_SETTINGS.duplicateWindowMs / 4);
export const LONG_DELAY_MS = Math.floor(RUN_SETTINGS.duplicateWindowMs * 1.5);

/** SIGKILL of one process at a random moment, a pause of `downMs`, a restart. */
export async function killAndRestart(
  ctx: ScenarioContext,
  part: Part,
  downMs: number,
  extra: Record<string, string> = {},
): Promise<void> {
  await sleep(between(ctx, 0, 1500));
  await ctx.cluster.kill(part, 'SIGKILL');
  ctx.facts.kills = Number(ctx.facts.kills ?? 0) + 1;
  ctx.log(`killed ${part}`, { downMs });
  await sleep(downMs);
  await ctx.cluster.startAndWait(part, extra);
}

/**
 * The kill pattern of the process-kill scenarios: once work flows, SIGKILL and restart
 * within the duplicate window; once more work flowed, SIGKILL and restart after it.
 */
export async function killTwice(ctx: ScenarioContext, part: Part): Promise<void> {
  const step = Math.max(5, Math.floor(ctx.size.uploads / 8));
  await waitForEvents(ctx, step);
  await killAndRestart(ctx, part, SHORT_DELAY_MS);
  await waitForEvents(ctx, step);
  await killAndRestart(ctx, part, LONG_DELAY_MS);
}
