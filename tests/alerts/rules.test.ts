import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createBridgeMetrics } from '../../bridge/metrics';
import { createMetrics } from '../../infra/metrics';
import { metricNamesOf, missingMetrics } from '../helpers/promql';

const ROOT = join(__dirname, '../..');
const ALERTS_DIR = join(ROOT, 'alerts');
const RULES = join(ALERTS_DIR, 'akosha.rules.yml');
const RUNBOOKS = 'docs/runbooks.md';

interface Rule {
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[];
}

const rules = (
  parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined);
const unitTestFiles = readdirSync(ALERTS_DIR).filter((f) => f.endsWith('.test.yml'));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

describe('alert rules', () => {
  it('use only metrics that Akosha exports', async () => {
    const metrics = createMetrics();
    createBridgeMetrics(metrics.registry); // the scheduler role registers these beside them
    const used = rules.flatMap((r) => metricNamesOf(r.expr));
    expect(used.length).toBeGreaterThan(15);
    expect(missingMetrics(used, await metrics.registry.metrics())).toEqual([]);
  });

  it('each link a runbook section of docs/runbooks.md', () => {
    const headings = readFileSync(join(ROOT, RUNBOOKS), 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchorOf(line.replace(/^#+ /, '')));
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    for (const { alert, annotations } of alerts) {
      const url = annotations?.runbook_url ?? '';
      const [file, anchor] = url.split('#');
      expect({ alert, file }).toEqual({ alert, file: RUNBOOKS });
      expect({ alert, found: headings.includes(anchor ?? '') }).toEqual({ alert, found: true });
    }
  });

  it('each have a unit test where they fire and one where they do not', () => {
    const cases = unitTestFiles.flatMap((file) => {
      const doc = parse(readFileSync(join(ALERTS_DIR, file), 'utf8')) as {
        tests: { alert_rule_test?: AlertTest[] }[];
      };
      return doc.tests.flatMap((t) => t.alert_rule_test ?? []);
    });
    for (const { alert } of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      const fires = mine.some((c) => (c.exp_alerts ?? []).length > 0);
      const stays = mine.some((c) => (c.exp_alerts ?? []).length === 0);
      expect({ alert, fires, stays }).toEqual({ alert, fires: true, stays: true });
    }
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  (promtool ? it : it.skip)('pass promtool check rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
  });

  (promtool ? it : it.skip)('pass their promtool unit tests (alerts/*.test.yml)', () => {
    expect(unitTestFiles.length).toBeGreaterThan(0);
    const result = spawnSync('promtool', ['test', 'rules', ...unitTestFiles], {
      cwd: ALERTS_DIR,
      encoding: 'utf8',
    });
    const output = result.stdout + result.stderr;
    expect({ status: result.status, output }).toEqual({ status: 0, output: expect.any(String) });
    expect(output.match(/SUCCESS/g)).toHaveLength(unitTestFiles.length);
  });
});
