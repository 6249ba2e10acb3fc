/**
 * The fault matrix for operators: `npm run faults -- [--long] [--only a,b] [--seed n] [--keep]`.
 * Runs each scenario against real processes and prints the checker's table; exits 1 when
 * any run fails (its directory with logs and data is kept and printed).
 */
import { Command } from 'commander';
import { runScenario, type RunResult } from './harness';
import { SCENARIOS, scenarioNamed } from './scenarios';
import { formatTable } from './table';

interface Options {
  long?: boolean;
  only?: string;
  seed: string;
  keep?: boolean;
  root?: string;
}

async function main(opts: Options): Promise<void> {
  const scenarios = opts.only ? opts.only.split(',').map(scenarioNamed) : SCENARIOS;
  const results: RunResult[] = [];
  for (const scenario of scenarios) {
    console.error(`running ${scenario.name}: ${scenario.summary}`);
    const result = await runScenario(scenario, {
      long: opts.long ?? false,
      seed: Number(opts.seed),
      keep: opts.keep ?? false,
      ...(opts.root && { root: opts.root }),
      log: (line) => console.error(line),
    });
    results.push(result);
    for (const example of result.verdict.examples) console.error(`  ${example}`);
    if (!result.verdict.ok) console.error(`  kept: ${result.dir}`);
    console.error(`  facts: ${JSON.stringify(result.facts)}`);
  }
  console.log(formatTable(results));
  process.exitCode = results.every((r) => r.verdict.ok) ? 0 : 1;
}

new Command('faults')
  .description('lost-ack checker under real faults')
  .option('--long', 'the long versions (minutes each)')
  .option('--only <names>', 'comma-separated scenario names')
  .option('--seed <n>', 'seed of the random moments', '1')
  .option('--keep', 'keep every run directory')
  .option('--root <dir>', 'run the akosha of another checkout (its CLI, from source)')
  .action((opts: Options) => main(opts))
  .parseAsync()
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
