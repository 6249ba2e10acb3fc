import { type CloudWatcher, startCloudWatcher } from '../cloud';
import type { CloudConfig } from '../infra';
import { CLOUD_CONSUMER, STREAM } from '../streams';
import type { Stage } from './stage';
import type { StageContext } from './stages';

/** The cloud watcher (role `cloud`, with AKOSHA_SB_BUCKET): Session-Buddy's bucket, imported once. */
export function cloudWatcherStage(ctx: StageContext, cloud: CloudConfig): Stage {
  let watcher: CloudWatcher | undefined;
  return {
    name: 'cloud watcher',
    watched: [{ stream: STREAM.cloud, consumer: CLOUD_CONSUMER }],
    async start() {
      watcher = await startCloudWatcher({ ...ctx.common, retry: ctx.retry }, ctx.config, cloud);
    },
    stop: async () => watcher?.stop(),
    ready: () => ({ ready: true, ...(watcher && { report: { cloud: watcher.status() } }) }),
  };
}
