import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeadLetterPublisher, RetryPolicy } from '../consumers';
import type { AkoshaConfig, CloudConfig, Logger, Metrics } from '../infra';
import { DigestStore } from './digest-store';
import { importUpload } from './import-upload';
import { cloudS3Client } from './s3';
import { CloudStateStore } from './state-store';
import { CloudWatcher } from './watcher';
import { WatcherLease } from './watcher-lease';

export interface WatcherContext {
  nc: NatsConnection;
  js: JetStreamClient;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  log: Logger;
  retry: RetryPolicy;
}

/** The `cloud` role: a watcher of Session-Buddy's bucket, active while it holds the lease. */
export async function startCloudWatcher(
  ctx: WatcherContext,
  config: AkoshaConfig,
  cloud: CloudConfig,
): Promise<CloudWatcher> {
  const { nc, js, metrics } = ctx;
  const s3 = cloudS3Client(cloud);
  const digests = await DigestStore.open(nc, ctx.log);
  const lease = await WatcherLease.open(nc, config.writer.lease.ttlMs);
  const maxPayloadBytes = nc.info?.max_payload ?? 1024 * 1024;
  const watcher = new CloudWatcher(
    {
      ...ctx,
      s3,
      lease,
      state: await CloudStateStore.open(nc),
      importUpload: (ref) =>
        importUpload(
          { s3, js, digests, metrics, maxFileBytes: cloud.maxFileBytes, maxPayloadBytes },
          ref,
        ),
    },
    {
      cloud,
      retry: ctx.retry,
      ackWaitMs: config.streams.ackWaitMs,
      renewEveryMs: Math.max(Math.floor(lease.ttlMs / 3), 100),
    },
  );
  await watcher.start();
  return watcher;
}
