import type { RunResult } from './harness';

const COLUMNS: [string, (r: RunResult) => string | number][] = [
  ['fault', (r) => r.verdict.scenario],
  ['acked uploads', (r) => r.verdict.ackedUploads],
  ['acked records', (r) => r.verdict.ackedRecords],
  ['stored', (r) => r.verdict.stored],
  ['lost', (r) => r.verdict.lost],
  ['duplicated', (r) => r.verdict.duplicated],
  ['announced twice', (r) => r.verdict.announcedTwice],
  ['never announced', (r) => r.verdict.neverAnnounced],
  ['dead letters (wrong)', (r) => `${r.verdict.deadLetters} (${r.verdict.wrongLetters})`],
  ['stranded', (r) => r.verdict.stranded],
  ['verdict', (r) => (r.verdict.ok ? 'pass' : 'FAIL')],
  ['s', (r) => Math.round(r.durationMs / 1000)],
];

/** The checker's figures as a Markdown table: the shape of the README's "Fault tests" table. */
export function formatTable(results: RunResult[]): string {
  const rows = results.map((r) => COLUMNS.map(([, cell]) => String(cell(r))));
  const widths = COLUMNS.map(([head], i) =>
    Math.max(head.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(COLUMNS.map(([head]) => head)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
