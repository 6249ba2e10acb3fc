import { eventCount, sleep, type Scenario, type ScenarioContext } from '../scenario';

const DRAIN_TIMEOUT_MS = 240_000;

/** Waits until the event count stops growing for 10 s (the backlog drained, or stuck). */
async function drain(ctx: ScenarioContext): Promise<void> {
  const t0 = Date.now();
  const from = await eventCount(ctx.nc);
  let last = -1;
  let still = 0;
  while (Date.now() - t0 < DRAIN_TIMEOUT_MS && still < 10) {
    const now = await eventCount(ctx.nc);
    still = now === last ? still + 1 : 0;
    last = now;
    await sleep(1000);
  }
  const drainS = (Date.now() - t0 - still * 1000) / 1000;
  ctx.facts.drainS = Math.round(drainS);
  ctx.facts.drainedUploadsPerS = Math.round((last - from) / Math.max(drainS, 1));
}

/**
 * Offers uploads far beyond what the pipeline writes for `offerForMs`; then lets the same
 * processes work the backlog off. Load must become lag, never dead letters or lost uploads.
 */
export const overload: Scenario = {
  name: 'overload',
  summary: 'several times the sustainable rate offered for a while, then the backlog drains',
  topology: 'all',
  // ~30 uploads/s (~300 records/s) drain on this 2-core machine: the short run offers
  // about four times that for 20 s, the long one as much as the broker acks for a minute
  short: { uploads: 100_000, systems: 40, ratePerSec: 120, concurrency: 32, offerForMs: 20_000 },
  long: { uploads: 1_000_000, systems: 100, ratePerSec: 0, concurrency: 96, offerForMs: 60_000 },
  async fault(ctx) {
    const t0 = Date.now();
    await sleep(ctx.size.offerForMs ?? 0);
    const offered = ctx.ledger.ackedUploads;
    ctx.facts.offeredUploadsPerS = Math.round(offered / ((Date.now() - t0) / 1000));
    ctx.facts.announcedWhileOffering = await eventCount(ctx.nc);
    await ctx.loadDone;
    await drain(ctx);
  },
};
