import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pipeline } from '../../app/pipeline';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { STREAM } from '../../streams/definitions';
import { subjects } from '../../streams/subjects';
import { streamMessageCount } from '../helpers/streams';
import { record, upload } from '../helpers/uploads';
import { waitFor } from '../helpers/wait-for';

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** A few systems' memories, some old enough for warm and cold, as an operator would see them. */
export const SYSTEMS = {
  'dev-laptop-anna': [
    ['a1', 'Fixed the JetStream consumer redelivery loop by acking after the DuckDB write.', 1],
    ['a2', 'Rate limiter keys on the principal name so that tokens share nothing.', 2],
    ['a3', 'Parquet export of the cold tier uses ZSTD compression and one object per move.', 40],
  ],
  'ci-runner-03': [
    ['c1', 'Flaky test traced to a fixed sleep; replaced by polling with a deadline.', 1],
    ['c2', 'Build cache invalidated when the lockfile changes, not on every commit.', 3],
    ['c3', 'Nightly benchmark of the vector index: p50 query latency under two milliseconds.', 20],
    ['c4', 'Kubernetes readiness probe now waits for the consumers to start pulling.', 200],
  ],
  'build-host-7': [
    ['b1', 'Shard writers hold leases on their shard groups and renew them every few seconds.', 2],
    ['b2', 'The embed stage batches texts by 32 before calling the model.', 120],
  ],
} as const;

export const INVALID_SYSTEM = 'dev-laptop-anna';

/** Publishes the systems' uploads and waits until each is stored. */
export async function seedMemories(nats: { js: JetStreamClient; nc: NatsConnection }) {
  for (const [system, rows] of Object.entries(SYSTEMS)) {
    const records = rows.map(([id, text, days]) => record(id, text, { timestamp: at(days) }));
    await publishUpload(nats.js, upload(system, `${system}-up-1`, records), {
      maxPayloadBytes: 1 << 20,
    });
  }
  const systems = Object.keys(SYSTEMS).length;
  await waitFor(() => streamMessageCount(nats.nc, STREAM.ingested), {
    until: (n) => n >= systems,
    what: 'every upload stored',
    timeoutMs: 60_000,
  });
}

/** Moves what is older than a week to warm and older than 90 days to cold. */
export async function ageMemories(pipeline: Pipeline) {
  for (const system of Object.keys(SYSTEMS)) {
    await pipeline.mover!.moveHotToWarm(shardOf(system), new Date(Date.now() - 7 * DAY));
    await pipeline.mover!.moveWarmToCold(shardOf(system), new Date(Date.now() - 90 * DAY));
  }
}

/**
 * Two dead letters: a record with a bad timestamp in a valid upload (INVALID_RECORD) and a
 * message that is no upload at all (SCHEMA_INVALID). Resolves with the letters' count.
 */
export async function seedDeadLetters(nats: { js: JetStreamClient; nc: NatsConnection }) {
  const subject = subjects.upload(shardOf(INVALID_SYSTEM), INVALID_SYSTEM);
  const bad = record('bad-1', 'a record with a broken timestamp', { timestamp: 'yesterday' });
  const good = record('good-1', 'a memory that is stored beside a bad one', { timestamp: at(1) });
  await nats.js.publish(subject, JSON.stringify(upload(INVALID_SYSTEM, 'mixed-1', [good, bad])));
  await nats.js.publish(subject, '{"schema_version": 1, "records": "none"}');
  return waitFor(() => streamMessageCount(nats.nc, STREAM.deadLetters), {
    until: (n) => n >= 2,
    what: 'two dead letters',
  });
}
