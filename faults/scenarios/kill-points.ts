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
  await proc.started;
  await trigger();
  const died = await Promise.race([
    exited(proc.child).then(() => proc.child.signalCode === 'SIGKILL'),
    sleep(POINT_TIMEOUT_MS).then(() => false),
  ]);
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
  short: { uploads: 160, systems: 12, ratePerSec: 25, concurrency: 8 },
  long: { uploads: 2000, systems: 40, ratePerSec: 40, concurrency: 16 },
  async fault(ctx) {
    const step = Math.max(5, Math.floor(ctx.size.uploads / 8));
    await waitForEvents(ctx, step);
    await dieAtPoint(ctx, 'after-commit', SHORT_DELAY_MS);
    await waitForEvents(ctx, step);
    await dieAtPoint(ctx, 'after-event-before-ack', LONG_DELAY_MS);
  },
};
