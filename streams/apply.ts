import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger, StreamsConfig } from '../infra';
import {
  consumerDefinitions,
  streamDefinitions,
  type ConsumerDefinition,
  type StreamDefinition,
} from './definitions';
import { guardStreamUpdate } from './stream-guard';

/** Creates or updates every stream and durable consumer; safe to run at every start. */
export async function applyTopology(
  nc: NatsConnection,
  config: StreamsConfig,
  log?: Logger,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const stream of streamDefinitions(config)) await applyStream(jsm, stream, config.force, log);
  for (const consumer of consumerDefinitions(config)) await applyConsumer(jsm, consumer, log);
}

/** An existing stream keeps the replicas and limits it holds higher, unless `force`. */
async function applyStream(
  jsm: JetStreamManager,
  def: StreamDefinition,
  force: boolean,
  log?: Logger,
): Promise<void> {
  const info = () => jsm.streams.info(def.name).catch(() => undefined);
  const existing = await info();
  if (!existing) {
    const add = () => jsm.streams.add(def).catch((err: unknown) => explainReservation(err, def));
    if (!(await createdUnlessRaced(add, info))) return applyStream(jsm, def, force, log);
    log?.info({ stream: def.name }, 'stream created');
    return;
  }
  const { config, kept } = guardStreamUpdate(existing.config, def, force);
  for (const k of kept)
    log?.warn(
      { stream: def.name, ...k },
      `stream keeps the server's higher ${k.field}; run with --force (AKOSHA_STREAMS_FORCE=true) to lower it`,
    );
  const { name, retention: _r, storage: _s, ...mutable } = config;
  await jsm.streams.update(name, mutable).catch((err: unknown) => explainReservation(err, config));
}

/**
 * Creates what was not there; false when the create failed because another process created
 * it meanwhile (processes of one deployment starting together), so the caller updates it.
 */
export async function createdUnlessRaced(
  create: () => Promise<unknown>,
  find: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if ((await find()) !== undefined) return false;
    throw err;
  }
}

/** The server reserves each stream's max_bytes out of its max_file_store at create and update. */
function explainReservation(err: unknown, def: StreamDefinition): never {
  if (Number((err as { code?: unknown }).code) !== 10047) throw err;
  throw new Error(
    `stream ${def.name}: the server cannot reserve max_bytes ${def.max_bytes} (insufficient storage resources): ` +
      'the AKOSHA_*_MAX_BYTES settings together must fit in its max_file_store',
    { cause: err },
  );
}

async function applyConsumer(
  jsm: JetStreamManager,
  def: ConsumerDefinition,
  log?: Logger,
): Promise<void> {
  const { stream, ...config } = def;
  const info = () => jsm.consumers.info(stream, def.durable_name).catch(() => undefined);
  if (!(await info())) {
    if (!(await createdUnlessRaced(() => jsm.consumers.add(stream, config), info)))
      return applyConsumer(jsm, def, log);
    log?.debug({ stream, consumer: def.durable_name }, 'consumer created');
    return;
  }
  const {
    durable_name,
    deliver_policy: _d,
    ack_policy: _a,
    filter_subject: _f,
    ...mutable
  } = config;
  await jsm.consumers.update(stream, durable_name, mutable);
}
