import { AkoshaError } from '../infra/errors';
import type { DeadLetterStage } from '../schemas/dead-letter';
import type { PulledMsg } from './pulled-message';
import { contextOf } from './advisories';
import { deadLetter, screenExhausted, type SettleDeps } from './settle';
import type { SuspectLog } from './suspects';
import { ALONE_FROM_DELIVERY } from './take-batch';

/**
 * Wraps a stage's batch handler against messages that kill their process. A suspect
 * (handed alone by the batch loop) is marked in the suspect log while it is handled; one
 * whose mark survived its last handling killed its process by itself, and is dead-lettered
 * POISON without being handled again, while its former batch-mates, each handled alone, go
 * on. Without a suspect log, deliveries past maxDeliver that ended unsettled are
 * dead-lettered instead (screenExhausted), which can catch a batch-mate too.
 */
export function guardCrashLoops(
  handle: (batch: PulledMsg[]) => Promise<void>,
  stage: DeadLetterStage,
  deps: SettleDeps & { suspects?: SuspectLog | undefined },
): (batch: PulledMsg[]) => Promise<void> {
  const suspects = deps.suspects;
  if (!suspects) return async (batch) => handle(await screenExhausted(batch, stage, deps));
  return async (batch) => {
    const [msg] = batch;
    if (batch.length !== 1 || msg!.info.deliveryCount < ALONE_FROM_DELIVERY) return handle(batch);
    if (await suspects.diedWith(msg!)) {
      const why = `its process died handling it alone (delivery ${msg!.info.deliveryCount - 1})`;
      const err = new AkoshaError('POISON', why);
      const settled = await deadLetter(msg!, err, stage, deps, contextOf(msg!.data));
      if (settled === 'dead_lettered') await suspects.end(msg!);
      return;
    }
    await suspects.begin(msg!);
    try {
      await handle(batch);
    } finally {
      await suspects.end(msg!).catch(() => undefined);
    }
  };
}
