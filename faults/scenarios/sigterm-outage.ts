import { LONG_DELAY_MS } from '../kills';
import { sleep, waitForEvents, type Scenario } from '../scenario';

const DRAIN_DEADLINE_MS = 5000;
/** Closing the stores and the embedder after the deadline: generous on a loaded machine. */
const EXIT_MARGIN_MS = 15_000;

/**
 * nats-server dies under load; the all-in-one is then told to stop. It must exit within
 * its drain deadline (AKOSHA_DRAIN_TIMEOUT_MS) instead of reconnecting forever, and after
 * both come back nothing acked is missing.
 */
export const sigtermDuringOutage: Scenario = {
  name: 'sigterm-outage',
  summary: 'SIGTERM while nats-server is down: exit within the drain deadline, nothing lost',
  topology: 'all',
  short: { uploads: 120, systems: 12, ratePerSec: 25, concurrency: 8 },
  long: { uploads: 1000, systems: 40, ratePerSec: 40, concurrency: 16 },
  env: { AKOSHA_DRAIN_TIMEOUT_MS: String(DRAIN_DEADLINE_MS) },
  async fault(ctx) {
    await waitForEvents(ctx, Math.max(5, Math.floor(ctx.size.uploads / 6)));
    await ctx.cluster.killNats('SIGKILL');
    await sleep(500);
    const exitMs = await ctx.cluster.kill('all', 'SIGTERM');
    ctx.facts.exitAfterSigtermMs = exitMs;
    if (exitMs > DRAIN_DEADLINE_MS + EXIT_MARGIN_MS)
      ctx.problems.push(`exit took ${exitMs} ms after SIGTERM, deadline ${DRAIN_DEADLINE_MS} ms`);
    await sleep(LONG_DELAY_MS);
    await ctx.cluster.startNats();
    await ctx.cluster.startAndWait('all');
  },
};
