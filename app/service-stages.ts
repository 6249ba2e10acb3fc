import { MahavishnuBridge } from '../bridge';
import { AdvisoryWatcher, type PullTarget } from '../consumers';
import { watchConsumerLag } from './consumer-lag';
import type { Stage } from './stage';
import type { StageContext } from './stages';

/** MAX_DELIVERIES advisories of the work streams, turned into dead letters. */
export function advisoriesStage(ctx: StageContext): Stage {
  const { nc, deadLetters, log } = ctx.common;
  const advisories = new AdvisoryWatcher({ nc, deadLetters, log });
  return {
    name: 'advisories',
    start: () => advisories.start(),
    stop: () => advisories.stop(),
  };
}

/** Exports the pending counts of the durable consumers `watched()` lists. */
export function consumerLagStage(ctx: StageContext, watched: () => PullTarget[]): Stage {
  let stopWatching: (() => void) | undefined;
  return {
    name: 'consumer lag',
    start: async () => {
      stopWatching = watchConsumerLag(ctx.common.nc, watched(), ctx.common.metrics, ctx.common.log);
    },
    stop: async () => stopWatching?.(),
  };
}

/** Periodic jobs (role `scheduler`): run by Mahavishnu while it answers, by the local scheduler otherwise. */
export function schedulerStage(ctx: StageContext): Stage {
  const { bridge } = ctx.config;
  const { nc, log, metrics } = ctx.common;
  const scheduler = new MahavishnuBridge({
    mahavishnuUrl: bridge.mahavishnuUrl,
    callTimeoutMs: bridge.callTimeoutMs,
    token: bridge.token,
    caFile: bridge.caFile,
    breaker: bridge.breaker,
    nc,
    log,
    registry: metrics.registry,
  });
  return {
    name: 'scheduler',
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
    ready: () => ({ ready: true, report: { orchestrator: scheduler.status() } }),
  };
}
