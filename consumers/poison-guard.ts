import { AkoshaError } from '../infra';
import type { DeadLetterStage } from '../schemas';
import { contextOf } from './dead-letters';
import type { PulledMsg } from './pulled-message';
import { deadLetter, screenExhausted, type SettleDeps } from './settle';
import type { SuspectLog } from './suspects';
import { ALONE_FROM_DELIVERY } from './take-batch';

/**
 * Solo attempts its process must die in before a message counts as poison: one could be
 * a kill from outside that happened to land then; two in a row are the message.
 */
const POISON_AFTER_SOLO_DEATHS = 2;

/**
 * Wraps a stage's batch handler against messages that kill their process. A suspect
 * (handed alone by the batch loop) is handled in an exclusive turn of the process,
 * marked in the suspect log meanwhile; one whose process died in two such turns is
 * dead-lettered POISON without being handled again, while its former batch-mates, each
 * handled alone, go on. Without a suspect log, deliveries past maxDeliver that ended
 * unsettled are dead-lettered instead (screenExhausted), which can catch a batch-mate too.
 */
export function guardCrashLoops(
  handle: (batch: PulledMsg[]) => Promise<void>,
  stage: DeadLetterStage,
  deps: SettleDeps & { suspects?: SuspectLog | undefined },
): (batch: PulledMsg[]) => Promise<void> {
  const suspects = deps.suspects;
  if (!suspects) return async (batch) => handle(await screenExhausted(batch, stage, deps));
  return (batch) => {
    const [msg] = batch;
    if (batch.length !== 1 || msg!.info.deliveryCount < ALONE_FROM_DELIVERY)
      return suspects.turns.shared(() => handle(batch));
    return suspects.turns.exclusive(() => handleSuspect(msg!, handle, stage, deps, suspects));
  };
}

async function handleSuspect(
  msg: PulledMsg,
  handle: (batch: PulledMsg[]) => Promise<void>,
  stage: DeadLetterStage,
  deps: SettleDeps,
  suspects: SuspectLog,
): Promise<void> {
  const deaths = await suspects.soloDeaths(msg);
  if (deaths >= POISON_AFTER_SOLO_DEATHS) {
    const why = `its process died handling it alone, ${deaths} times`;
    const err = new AkoshaError('POISON', why);
    const settled = await deadLetter(msg, err, stage, deps, contextOf(msg.data));
    if (settled === 'dead_lettered') await suspects.end(msg);
    return;
  }
  await suspects.begin(msg, deaths + 1);
  try {
    await handle([msg]);
  } finally {
    await suspects.end(msg).catch(() => undefined);
  }
}
