import { describe, expect, it } from 'vitest';
import { checkExpression, parseCatalogue, ruleExpressions, selectorsIn } from './promql-names';

const CATALOGUE = parseCatalogue(`
| Name | Type | Labels | Meaning |
| --- | --- | --- | --- |
| \`process_*\`, \`nodejs_*\` | various | | prom-client's |
| \`shoal_nodes\` | gauge | \`state\`, \`role\` | nodes |
| \`shoal_raft_commit_duration_seconds\` | histogram | | commit |
`);

describe('parseCatalogue', () => {
  it('reads names, wildcards, types and labels', () => {
    expect(CATALOGUE).toEqual([
      { name: 'process_', wildcard: true, type: 'various', labels: [] },
      { name: 'nodejs_', wildcard: true, type: 'various', labels: [] },
      { name: 'shoal_nodes', wildcard: false, type: 'gauge', labels: ['state', 'role'] },
      {
        name: 'shoal_raft_commit_duration_seconds',
        wildcard: false,
        type: 'histogram',
        labels: [],
      },
    ]);
  });
});

describe('selectorsIn', () => {
  it('finds metrics and their matcher labels, not functions, keywords or label lists', () => {
    expect(
      selectorsIn(
        'histogram_quantile(0.99, sum by (le, instance) (rate(a_bucket{x=~"$v|b{c}"}[$__rate_interval])))' +
          ' / on(instance) group_left(role) b offset 5m > bool 1e3 or vector(0) and absent(c)',
      ),
    ).toEqual([
      { metric: 'a_bucket', labels: ['x'] },
      { metric: 'b', labels: [] },
      { metric: 'c', labels: [] },
    ]);
  });

  it("reads Grafana's label_values(metric, label)", () => {
    expect(selectorsIn('label_values(shoal_build_info, instance)')).toEqual([
      { metric: 'shoal_build_info', labels: [] },
    ]);
  });
});

describe('checkExpression', () => {
  it('accepts catalogued names, histogram series and target labels', () => {
    expect(
      checkExpression(
        CATALOGUE,
        'sum(shoal_nodes{state="down", instance=~".*"}) + rate(shoal_raft_commit_duration_seconds_bucket{le="1"}[1m]) + process_cpu_seconds_total',
      ),
    ).toEqual([]);
  });

  it('reports unknown names and labels', () => {
    expect(checkExpression(CATALOGUE, 'shoal_node{state="x"} + shoal_nodes{colour="red"}')).toEqual(
      [
        'shoal_node is not in docs/metrics.md',
        'shoal_nodes has no label colour in docs/metrics.md',
      ],
    );
    // _bucket only for histograms.
    expect(checkExpression(CATALOGUE, 'shoal_nodes_bucket')).toEqual([
      'shoal_nodes_bucket is not in docs/metrics.md',
    ]);
  });
});

describe('ruleExpressions', () => {
  it('reads inline and block expressions', () => {
    const yaml = [
      'groups:',
      '  - rules:',
      '      - alert: A',
      "        expr: 'up == 0'",
      '        for: 1m',
      '      - alert: B',
      '        expr: >-',
      '          a',
      '          > b',
      '        labels: {}',
    ].join('\n');
    expect(ruleExpressions(yaml)).toEqual(['up == 0', 'a > b']);
  });
});
