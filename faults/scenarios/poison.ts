import { jetstreamManager } from '@nats-io/jetstream';
import { POISON_TEXT } from '../../infra/fault-point';
import type { UploadMessage } from '../../schemas/upload';
import { STREAM } from '../../streams/definitions';
import { eventCount, sleep, type Scenario, type ScenarioContext } from '../scenario';
import { invalidPayloads } from '../workload';

const SUPERVISE_MS = 150_000;

async function letterCount(ctx: ScenarioContext): Promise<number> {
  const jsm = await jetstreamManager(ctx.nc);
  return (await jsm.streams.info(STREAM.deadLetters)).state.messages;
}

/**
 * Restarts the writer (armed at `poison`) whenever the poison kills it, like a process
 * supervisor would, until the poison is dead-lettered and the load was offered.
 */
async function supervise(ctx: ScenarioContext): Promise<void> {
  const invalid = invalidPayloads(ctx.tag).length;
  const deadline = Date.now() + SUPERVISE_MS;
  let loadDone = false;
  void ctx.loadDone.then(() => (loadDone = true));
  let restarts = 0;
  while (Date.now() < deadline) {
    if (!ctx.cluster.running('writer')) {
      restarts++;
      await ctx.cluster.startAndWait('writer', { AKOSHA_FAULT_POINT: 'poison' }).catch(() => 0);
    }
    const lettered = (await letterCount(ctx).catch(() => 0)) > invalid;
    if (lettered && loadDone && ((await eventCount(ctx.nc)) ?? 0) > 0) break;
    await sleep(500);
  }
  ctx.facts.restartsAfterPoison = restarts;
  if (restarts === 0) ctx.problems.push('the poison never killed the writer');
}

function poisonUpload(ctx: ScenarioContext): UploadMessage {
  const now = new Date().toISOString();
  const content = `this record kills its writer: ${POISON_TEXT}`;
  return {
    schema_version: 1,
    upload_id: `${ctx.tag}-poison`,
    system_id: `${ctx.tag}-sys-0`, // a shard the load writes to as well: batch-mates
    created_at: now,
    records: [{ id: 'poison-r', kind: 'conversation', content, timestamp: now }],
  };
}

/** An acked upload whose record kills the writer each time: only it is dead-lettered. */
export const poison: Scenario = {
  name: 'poison',
  summary: 'a message that kills the writer each time: dead-lettered alone, its batch-mates kept',
  topology: 'split',
  short: { uploads: 120, systems: 12, ratePerSec: 20, concurrency: 8 },
  long: { uploads: 1000, systems: 40, ratePerSec: 40, concurrency: 16 },
  env: { AKOSHA_BATCH_LINGER_MS: '200' },
  async fault(ctx) {
    await ctx.cluster.kill('writer', 'SIGTERM');
    await ctx.cluster.startAndWait('writer', { AKOSHA_FAULT_POINT: 'poison' });
    await ctx.producer.publishPoison(poisonUpload(ctx));
    await supervise(ctx);
  },
};
