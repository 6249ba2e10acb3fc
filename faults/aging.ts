import { readFileSync } from 'node:fs';
import type { AgingEvent } from '../schemas/aging';
import { subjects } from '../streams/subjects';
import type { Part } from './cluster';
import { sleep, type ScenarioContext } from './scenario';

const PASSES_TIMEOUT_MS = 120_000;
/** The last step of every warm pass logs one of these (consumers/aging.ts). */
const PASS_END = /"msg":"(expired records deleted|retention pass failed)"/;

function passesEnded(file: string): number {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => PASS_END.test(l)).length;
  } catch {
    return 0;
  }
}

export const writerPart = (ctx: ScenarioContext): Part =>
  ctx.parts.includes('writer') ? 'writer' : 'all';

/** Publishes aging events; the writer runs them one after another, in this order. */
export async function requestAging(ctx: ScenarioContext, tiers: AgingEvent['tier'][]) {
  for (const tier of tiers) {
    const event: AgingEvent = { schema_version: 1, tier, requested_at: new Date().toISOString() };
    ctx.nc.publish(subjects.aging(tier), JSON.stringify(event));
  }
  await ctx.nc.flush();
}

/**
 * Hot → warm, then warm → cold, so that the check reads keys from every tier: waits until
 * the warm pass, which runs after the hot one, logged its end. False when it did not in time.
 */
export async function ageEverything(ctx: ScenarioContext): Promise<boolean> {
  const file = ctx.cluster.logFile(writerPart(ctx));
  const before = passesEnded(file);
  await requestAging(ctx, ['hot', 'warm']);
  const deadline = Date.now() + PASSES_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (passesEnded(file) > before) return true;
    await sleep(250);
  }
  return false;
}
