import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DeadLetterPublisher } from '../consumers/dead-letters';
import { EmbedStage } from '../consumers/embed-stage';
import { HandOff } from '../consumers/hand-off';
import type { RetryPolicy } from '../consumers/settle';
import type { SuspectLog } from '../consumers/suspects';
import type { Embedder } from '../embedding/embedder';
import type { AkoshaConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import type { Metrics } from '../infra/metrics';
import { INGEST_CONSUMER, STREAM } from '../streams/definitions';
import type { Stage } from './stage';

/** What every stage of a process shares. */
export interface StageContext {
  config: AkoshaConfig;
  embedder: Embedder;
  retry: RetryPolicy;
  common: {
    nc: NatsConnection;
    js: JetStreamClient;
    suspects: SuspectLog;
    deadLetters: DeadLetterPublisher;
    metrics: Metrics;
    log: Logger;
  };
}

/** The embed stage (role `ingest`): validate, embed, hand off to the shard writers. */
export function embedStage(ctx: StageContext): Stage {
  const { common, config } = ctx;
  const handOff = new HandOff(common.js, common.log);
  const stage = new EmbedStage(
    {
      ...common,
      handOff,
      embedder: ctx.embedder,
      maxPayloadBytes: common.nc.info?.max_payload ?? 1024 * 1024,
    },
    { ...config.ingest, shardGroups: config.streams.shardGroups, retry: ctx.retry },
  );
  return {
    name: 'embed',
    watched: [{ stream: STREAM.uploads, consumer: INGEST_CONSUMER }],
    start: () => stage.start(),
    stop: () => stage.stop(),
  };
}
