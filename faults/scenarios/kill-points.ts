import { exited } from '../processes';
import { LONG_DELAY_MS, SHORT_DELAY_MS } from '../kills';
import { between, sleep, waitForEvents, type Scenario, type ScenarioContext } from '../scenario';

const POINT_TIMEOUT_MS = 90_000;

/**
 * Restarts the writer armed at a named point (AKOSHA_FAULT_POINT): it SIGKILLs itself the
 * n-th time it gets there. Then it stays down for `downMs` and starts again unarmed.
 */
export async function dieAtPoint(
  ctx: ScenarioContext,
  point: string,
  downMs: number,
  trigger: () => Promise<void> = async () => undefined,
): Promise<void> {
  const part = ctx.parts.includes('writer') ? 'writer' : 'all';
  await ctx.cluster.kill(part, 'SIGTERM');
  const armed = `${point}@${between(ctx, 1, 4)}`;
  const proc = ctx.cluster.start(part, { AKOSHA_FAULT_POINT: armed });
  // with a backlog the writer can reach its point before it logs that it started
  const running = await proc.started.then(
    () => true,
    () => false,
  );
  if (running) await trigger();
  let timer: NodeJS.Timeout | undefined;
  const died = await Promise.race([
    exited(proc.child).then(() => proc.child.signalCode === 'SIGKILL'),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), POINT_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  ctx.log(`armed ${armed}`, { died });
  if (!died) ctx.problems.push(`${part} never reached ${armed}`);
  else ctx.facts[point] = 'killed';
  await ctx.cluster.kill(part, 'SIGKILL');
  await sleep(downMs);
  await ctx.cluster.startAndWait(part);
}

/** The writer dies right after COMMIT (before the event), then after the event ack (before the message ack). */
export const killAtWritePoints: Scenario = {
  name: 'kill-points',
  summary: 'writer SIGKILLed after COMMIT, then after the event ack and before the message ack',
  topology: 'split',
  // a slow, long offer: each armed writer must still find work to reach its point
  short: { uploads: 200, systems: 12, ratePerSec: 8, concurrency: 4 },
  long: { uploads: 2000, systems: 40, ratePerSec: 20, concurrency: 8 },
  async fault(ctx) {
    await waitForEvents(ctx, 5);
    await dieAtPoint(ctx, 'after-commit', SHORT_DELAY_MS);
    await waitForEvents(ctx, 5);
    await dieAtPoint(ctx, 'after-event-before-ack', LONG_DELAY_MS);
  },
};
