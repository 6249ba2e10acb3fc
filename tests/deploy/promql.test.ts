import { familyOf, metricNamesOf, missingMetrics } from '../helpers/promql';

describe('PromQL metric extraction', () => {
  it.each([
    [
      'histogram_quantile(0.99, sum by (endpoint, le) (rate(akosha_query_duration_seconds_bucket{endpoint=~"$endpoint"}[5m]))) > 0.5',
      ['akosha_query_duration_seconds_bucket'],
    ],
    [
      'sum without (instance) (increase(akosha_dead_letters_total{stage="validate"}[$__rate_interval])) / on () group_left sum(akosha_x_total offset 1h)',
      ['akosha_dead_letters_total', 'akosha_x_total'],
    ],
    [
      'max(akosha_bridge_breaker_state{state=~"open|half_open"}) == 1 or (sum(a_total) > 0 unless sum(b_total) > bool 0)',
      ['akosha_bridge_breaker_state', 'a_total', 'b_total'],
    ],
    [
      'max_over_time(akosha_cloud_lag_seconds[1h:5m]) > 1e3 and up{job="akosha"} == 0',
      ['akosha_cloud_lag_seconds', 'up'],
    ],
    ['{__name__="hidden"} + label_replace(m1, "dst", "$1", "src", "(.*)")', ['m1']],
    ['vector(1) * 2 + time() - akosha_y @ end()', ['akosha_y']],
    [
      'sum by (tier) (akosha_tier_bytes{tier=~"${tier}"}) # a comment with words',
      ['akosha_tier_bytes'],
    ],
  ])('%s', (expr, names) => {
    expect(metricNamesOf(expr).sort()).toEqual([...names].sort());
  });

  const exposition = [
    '# HELP h_seconds a histogram',
    '# TYPE h_seconds histogram',
    '# HELP s_seconds a summary',
    '# TYPE s_seconds summary',
    '# HELP c_count a counter whose name ends in _count',
    '# TYPE c_count counter',
    '# HELP g a gauge',
    '# TYPE g gauge',
  ].join('\n');

  it('resolves histogram and summary series to their family, nothing else', () => {
    const families = new Map([
      ['h_seconds', 'histogram'],
      ['s_seconds', 'summary'],
      ['g', 'gauge'],
    ]);
    expect(familyOf('h_seconds_bucket', families)).toBe('h_seconds');
    expect(familyOf('h_seconds_count', families)).toBe('h_seconds');
    expect(familyOf('s_seconds_sum', families)).toBe('s_seconds');
    expect(familyOf('s_seconds_bucket', families)).toBeUndefined();
    expect(familyOf('g_count', families)).toBeUndefined();
  });

  it('lists the names an exposition does not export, Prometheus series aside', () => {
    const used = ['h_seconds_bucket', 'c_count', 'g', 'g_sum', 'up', 'absent_total'];
    expect(missingMetrics(used, exposition)).toEqual(['absent_total', 'g_sum']);
  });
});
