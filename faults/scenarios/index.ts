import type { Scenario } from '../scenario';
import { killAllInOne, killIngest, killWriter, noFault } from './kill-process';

/** Every scenario, in the order `npm run faults` runs them. */
export const SCENARIOS: Scenario[] = [noFault, killAllInOne, killIngest, killWriter];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found)
    throw new Error(`no scenario ${name}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
