import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { AgingConsumer } from '../consumers/aging';
import { ANNOUNCE_GIVE_UP_MS, Announcer } from '../consumers/announcer';
import type { DeadLetterPublisher } from '../consumers/dead-letters';
import { ShardWriter } from '../consumers/shard-writer';
import { HAND_OFF_DEFAULTS, HandOff } from '../consumers/hand-off';
import type { PullTarget } from '../consumers/loop-group';
import type { RetryPolicy } from '../consumers/settle';
import type { SuspectLog } from '../consumers/suspects';
import { EmbedStage } from '../consumers/embed-stage';
import { WriterUpkeep } from '../consumers/writer-upkeep';
import type { Embedder } from '../embedding/embedder';
import { systemClock } from '../infra/clock';
import { ServerClock } from '../infra/server-clock';
import type { AkoshaConfig } from '../infra/config';
import type { Logger } from '../infra/logger';
import type { Metrics } from '../infra/metrics';
import { INGEST_CONSUMER, STREAM, writerConsumerName } from '../streams/definitions';
import { OnlineReplayService } from './replay-service';
import type { WriterState } from './writer-state';

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

/** Stages started, what else to stop with them, and the durable consumers they pull. */
export interface StartedStages {
  stages: { stop(): Promise<void> }[];
  stoppers: (() => Promise<void> | void)[];
  watched: PullTarget[];
}

/** The embed stage: validate, embed, hand off to the shard writers. */
export async function startIngestStage(ctx: StageContext): Promise<StartedStages> {
  const { common, config } = ctx;
  const handOff = new HandOff(common.js, common.log);
  const ingest = new EmbedStage(
    {
      ...common,
      handOff,
      embedder: ctx.embedder,
      maxPayloadBytes: common.nc.info?.max_payload ?? 1024 * 1024,
    },
    { ...config.ingest, shardGroups: config.streams.shardGroups, retry: ctx.retry },
  );
  await ingest.start();
  return {
    stages: [ingest],
    stoppers: [],
    watched: [{ stream: STREAM.uploads, consumer: INGEST_CONSUMER }],
  };
}

/**
 * The shard writer and what runs beside it on its shards: the announcement outbox and
 * other upkeep, the aging consumer, and online replays. All of them stop writing when the
 * lease stops holding.
 */
export async function startWriterStages(
  ctx: StageContext,
  state: WriterState,
): Promise<StartedStages & { writer: ShardWriter }> {
  const { common, config } = ctx;
  const { store } = state;
  const fence = () => state.lease.holds();
  const giveUpAfterMs = ANNOUNCE_GIVE_UP_MS;
  const events = new HandOff(common.js, common.log, { ...HAND_OFF_DEFAULTS, giveUpAfterMs });
  const announcer = new Announcer({ ...common, events, store });
  const writer = new ShardWriter(
    { ...common, store, announcer, fence },
    { ...config.writer, retry: ctx.retry, shardGroups: config.streams.shardGroups },
  );
  const upkeep = new WriterUpkeep(
    {
      ...common,
      store,
      announcer,
      embedder: ctx.embedder.info,
      handleStranded: (batch) => writer.handleBatch(batch),
    },
    { groups: config.writer.groups, ...config.writer.upkeep },
  );
  upkeep.start();
  await writer.start();
  const serverClock = await ServerClock.open(common.nc, config.writer.hotDir);
  const aging = new AgingConsumer(
    { ...common, store, mover: state.mover, clock: systemClock, fence, serverClock },
    config.aging,
  );
  aging.start();
  const replays = new OnlineReplayService({
    nc: common.nc,
    store,
    embedder: ctx.embedder,
    groups: config.writer.groups,
    shardGroups: config.streams.shardGroups,
    maxMessageBytes: config.ingest.maxMessageBytes,
    fence,
    log: common.log,
  });
  replays.start();
  return {
    writer,
    stages: [writer, upkeep, aging],
    stoppers: [() => replays.stop(), () => events.close()],
    watched: config.writer.groups.map((g) => ({
      stream: STREAM.embedded,
      consumer: writerConsumerName(g),
    })),
  };
}
