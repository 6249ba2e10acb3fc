import { requestAging } from '../aging';
import { SHORT_DELAY_MS } from '../kills';
import { waitQuiet } from '../observe';
import type { Scenario } from '../scenario';
import { dieAtPoint } from './kill-points';

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
    await dieAtPoint(ctx, 'hot-warm:mid-delete', SHORT_DELAY_MS, () => requestAging(ctx, ['hot']));
    // the hot pass finishes what recovery left, then the warm pass dies in its copy
    const both = () => requestAging(ctx, ['hot', 'warm']);
    await dieAtPoint(ctx, 'warm-cold:mid-copy', SHORT_DELAY_MS, both);
  },
};
