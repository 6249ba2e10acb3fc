import { eventCount, sleep, type Scenario, type ScenarioContext } from '../scenario';

const DRAIN_TIMEOUT_MS = 900_000;

/**
 * Waits until the offer is over and the event count stopped growing for 10 s (the backlog
 * drained, or is stuck); records how fast the backlog went.
 */
async function drain(ctx: ScenarioContext): Promise<void> {
  let loadDone = false;
  void ctx.loadDone.then(() => (loadDone = true));
  const t0 = Date.now();
  const from = (await eventCount(ctx.nc)) ?? 0;
  let last = from;
  let lastGrowth = t0;
  while (Date.now() - t0 < DRAIN_TIMEOUT_MS && !(loadDone && Date.now() - lastGrowth > 10_000)) {
    await sleep(1000);
    const now = await eventCount(ctx.nc);
    // a count the server did not give in time says nothing: keep waiting
    if (now === undefined || now > last) lastGrowth = Date.now();
    last = now ?? last;
  }
  const drainS = Math.max(1, (lastGrowth - t0) / 1000);
  ctx.facts.drainS = Math.round(drainS);
  ctx.facts.drainedUploadsPerS = Math.round((last - from) / drainS);
}

/**
 * Offers uploads far beyond what the pipeline writes for `offerForMs`; then lets the same
 * processes work the backlog off. Load must become lag, never dead letters or lost uploads.
 */
export const overload: Scenario = {
  name: 'overload',
  summary: 'uploads offered as fast as the broker acks, beyond the drain rate, then drained',
  topology: 'all',
  // the backlog drains at ~190 uploads/s (~1,900 records/s) here; both runs offer as fast
  // as the broker acks (~600 uploads/s with 48 in flight), for 8 s and for 30 s
  short: { uploads: 100_000, systems: 40, ratePerSec: 0, concurrency: 48, offerForMs: 8_000 },
  long: { uploads: 1_000_000, systems: 100, ratePerSec: 0, concurrency: 96, offerForMs: 30_000 },
  async fault(ctx) {
    const t0 = Date.now();
    await sleep(ctx.size.offerForMs ?? 0);
    const offerS = (Date.now() - t0) / 1000;
    ctx.facts.offeredUploadsPerS = Math.round(ctx.ledger.ackedUploads / offerS);
    await drain(ctx);
  },
};
