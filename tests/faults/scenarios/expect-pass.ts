import { runScenario } from '../../../faults/harness';
import type { Scenario } from '../../../faults/scenario';

/**
 * Runs one scenario's short version and expects the checker's pass: every acked record
 * stored once over the tiers, every acked upload announced once, only the invalid
 * messages dead-lettered, nothing stranded. The examples say what failed, if anything.
 */
export async function expectScenarioPasses(scenario: Scenario): Promise<void> {
  const log = process.env.AKOSHA_FAULTS_LOG ? (line: string) => console.error(line) : undefined;
  const { verdict, facts, dir } = await runScenario(scenario, log ? { log } : {});
  expect({ examples: verdict.examples, kept: verdict.ok ? undefined : dir }).toEqual({
    examples: [],
    kept: undefined,
  });
  expect(verdict.ok).toBe(true);
  expect(verdict.ackedUploads).toBeGreaterThan(0);
  expect(verdict.stored).toBe(verdict.ackedRecords);
  expect(facts.cold).toBeGreaterThan(0); // the aging passes reached every tier
}
