import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../infra/metrics';

const RULES = join(__dirname, '../../alerts/akosha.rules.yml');

describe('alert rules', () => {
  it('use only metrics that Akosha exports', async () => {
    const text = readFileSync(RULES, 'utf8');
    const used = new Set(
      [...text.matchAll(/\b(akosha_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!),
    );
    const exported = new Set(
      (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name),
    );
    expect(used.size).toBeGreaterThan(3);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  (promtool ? it : it.skip)('pass promtool check rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
  });
});
