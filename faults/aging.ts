import { readFileSync } from 'node:fs';
import type { AgingEvent } from '../schemas/aging';
import { subjects } from '../streams/subjects';
import type { Part } from './cluster';
import { sleep, type ScenarioContext } from './scenario';

const PASS_TIMEOUT_MS = 90_000;

/** The writer's log lines that report a move into `target` (or a failed one). */
function movesLogged(file: string, target: 'warm' | 'cold'): number {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const moved = `"target_tier":"${target}"`;
  return text
    .split('\n')
    .filter((l) => l.includes(moved) && /records moved|tier move failed/.test(l)).length;
}

export const writerPart = (ctx: ScenarioContext): Part =>
  ctx.parts.includes('writer') ? 'writer' : 'all';

/**
 * Publishes one aging event for `tier` and waits until the writer logged a move out of it
 * (or a failed one, which the check will show). Returns false when none came in time.
 */
export async function agingPass(ctx: ScenarioContext, tier: 'hot' | 'warm'): Promise<boolean> {
  const file = ctx.cluster.logFile(writerPart(ctx));
  const target = tier === 'hot' ? 'warm' : 'cold';
  const before = movesLogged(file, target);
  const event: AgingEvent = { schema_version: 1, tier, requested_at: new Date().toISOString() };
  ctx.nc.publish(subjects.aging(tier), JSON.stringify(event));
  await ctx.nc.flush();
  const deadline = Date.now() + PASS_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (movesLogged(file, target) > before) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Hot → warm, then warm → cold, so that the check reads keys from every tier. A clean
 * stop waits for a pass under way, so the stores are read after it finished.
 */
export async function ageEverything(ctx: ScenarioContext): Promise<number> {
  const hot = await agingPass(ctx, 'hot');
  const warm = await agingPass(ctx, 'warm');
  return Number(hot) + Number(warm);
}
