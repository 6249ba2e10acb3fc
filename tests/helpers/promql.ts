/**
 * Which metrics a PromQL expression reads, and whether a Prometheus exposition exports
 * them: what the alert and dashboard tests check their queries with.
 */

/** Words of PromQL that are not metric names when they stand alone. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
]);

/** Series that Prometheus makes itself for each target: no exporter declares them. */
export const PROMETHEUS_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

/** The text left once what cannot hold a metric name is cut out, in the order it may nest. */
function stripNonSelectors(expr: string): string {
  return (
    expr
      .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // label values, strings
      .replace(/#[^\n]*/g, ' ') // comments
      .replace(/\$\{[^}]*\}|\$\w+|\[\[\w+\]\]/g, ' ') // Grafana variables
      .replace(/\{[^}]*\}/g, ' ') // label matchers
      .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
      // grouping label lists: by (le), on (instance), group_left (tier)
      .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
  );
}

/**
 * The metric names an expression selects, as written (a histogram's `_bucket` kept):
 * functions and aggregations (a name before `(`), keywords, numbers and durations,
 * label names and values, range selectors and Grafana variables are left out.
 */
export function metricNamesOf(expr: string): string[] {
  const text = stripNonSelectors(expr);
  const names = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*|\d[\w.]*(?:[eE][+-]?\d+)?/g)) {
    const word = m[0];
    if (/^\d/.test(word)) continue; // a number or a duration
    const after = text.slice(m.index + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Metric families of an exposition by name, with their type, from `# TYPE` lines that have `# HELP`. */
export function exportedFamilies(exposition: string): Map<string, string> {
  const helped = new Set([...exposition.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]!));
  const families = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    if (helped.has(m[1]!)) families.set(m[1]!, m[2]!);
  return families;
}

/** Histograms expose _bucket, _sum and _count; summaries _sum and _count. */
const SUFFIXES: [suffix: string, types: string[]][] = [
  ['_bucket', ['histogram']],
  ['_sum', ['histogram', 'summary']],
  ['_count', ['histogram', 'summary']],
];

/** The family a selected name belongs to, when the exposition has it. */
export function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  for (const [suffix, types] of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    if (types.includes(families.get(base) ?? '')) return base;
  }
  return undefined;
}

/** The names of `used` that the exposition does not export (Prometheus's own series aside). */
export function missingMetrics(used: Iterable<string>, exposition: string): string[] {
  const families = exportedFamilies(exposition);
  return [...new Set(used)]
    .filter((name) => !PROMETHEUS_SERIES.has(name))
    .filter((name) => familyOf(name, families) === undefined)
    .sort();
}
