import { LONG_DELAY_MS, SHORT_DELAY_MS } from '../kills';
import { between, sleep, waitForEvents, type Scenario, type ScenarioContext } from '../scenario';

/** SIGKILL of nats-server at a random moment; the store survives, the server comes back after `downMs`. */
async function killNats(ctx: ScenarioContext, downMs: number): Promise<void> {
  await sleep(between(ctx, 0, 1500));
  await ctx.cluster.killNats('SIGKILL');
  ctx.facts.kills = Number(ctx.facts.kills ?? 0) + 1;
  ctx.log('killed nats-server', { downMs });
  await sleep(downMs);
  await ctx.cluster.startNats();
}

/** The broker itself dies twice under load: every client reconnects, nothing acked is lost. */
export const killNatsServer: Scenario = {
  name: 'kill-nats',
  summary: 'SIGKILL of nats-server, twice, back within and after the window',
  topology: 'all',
  short: { uploads: 160, systems: 12, ratePerSec: 25, concurrency: 8 },
  long: { uploads: 2000, systems: 40, ratePerSec: 40, concurrency: 16 },
  async fault(ctx) {
    const step = Math.max(5, Math.floor(ctx.size.uploads / 8));
    await waitForEvents(ctx, step);
    await killNats(ctx, SHORT_DELAY_MS);
    await waitForEvents(ctx, step);
    await killNats(ctx, LONG_DELAY_MS);
  },
};
