import { agingPass } from '../aging';
import { SHORT_DELAY_MS } from '../kills';
import { waitQuiet } from '../observe';
import type { AgingEvent } from '../../schemas/aging';
import { subjects } from '../../streams/subjects';
import type { Scenario, ScenarioContext } from '../scenario';
import { dieAtPoint } from './kill-points';

function requestAging(ctx: ScenarioContext, tier: AgingEvent['tier']): Promise<void> {
  const event: AgingEvent = { schema_version: 1, tier, requested_at: new Date().toISOString() };
  ctx.nc.publish(subjects.aging(tier), JSON.stringify(event));
  return ctx.nc.flush();
}

/**
 * Once the load is in, the writer dies in the middle of a hot → warm move (while deleting
 * the copied rows) and of a warm → cold move (objects uploaded, journal not yet updated).
 * Recovery at the next start must leave every record in exactly one tier.
 */
export const killMidTierMove: Scenario = {
  name: 'kill-tier-move',
  summary: 'writer SIGKILLed mid hot→warm delete and mid warm→cold copy, recovered at start',
  topology: 'split',
  short: { uploads: 120, systems: 12, ratePerSec: 30, concurrency: 8 },
  long: { uploads: 2000, systems: 40, ratePerSec: 40, concurrency: 16 },
  async fault(ctx) {
    await ctx.loadDone;
    await waitQuiet(ctx.nc, 120_000);
    await dieAtPoint(ctx, 'hot-warm:mid-delete', SHORT_DELAY_MS, () => requestAging(ctx, 'hot'));
    await agingPass(ctx, 'hot');
    await dieAtPoint(ctx, 'warm-cold:mid-copy', SHORT_DELAY_MS, () => requestAging(ctx, 'warm'));
  },
};
