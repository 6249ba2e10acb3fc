import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type DeadLetterPublisher,
  EmbedStage,
  HandOff,
  type RetryPolicy,
  type SuspectLog,
} from '../consumers';
import type { Embedder } from '../embedding';
import type { AkoshaConfig, Logger, Metrics } from '../infra';
import { INGEST_CONSUMER, STREAM } from '../streams';
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
