import type { Scenario } from '../scenario';
import { killAllInOne, killIngest, killWriter, noFault } from './kill-process';
import { killNatsServer } from './kill-nats';
import { killAtWritePoints } from './kill-points';
import { overload } from './overload';
import { poison } from './poison';
import { sigtermDuringOutage } from './sigterm-outage';
import { killMidTierMove } from './tier-move';

/** Every scenario, in the order `npm run faults` runs them. */
export const SCENARIOS: Scenario[] = [
  noFault,
  killAllInOne,
  killIngest,
  killWriter,
  killNatsServer,
  killAtWritePoints,
  killMidTierMove,
  sigtermDuringOutage,
  poison,
  overload,
];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found)
    throw new Error(`no scenario ${name}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
