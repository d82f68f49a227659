import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExpression, parseCatalogue, ruleExpressions } from './promql-names';
import { PROMTOOL, promtool } from './promtool';

const ROOT = path.resolve(__dirname, '../..');
const ALERTS = path.join(ROOT, 'deploy/prometheus/alerts.yml');
const RULE_TESTS = path.join(__dirname, 'alerts.rules-test.yml');

const EXPECTED_ALERTS = [
  'ShoalNoLeader',
  'ShoalQuorumAtRisk',
  'ShoalNodeDown',
  'ShoalServiceBelowReplicas',
  'ShoalRollingUpdatePaused',
];

describe('deploy/prometheus/alerts.yml', () => {
  it('finds promtool', () => {
    expect(PROMTOOL, 'promtool is needed: install Debian\'s "prometheus" package').toBeDefined();
  });

  it('passes promtool check rules', async () => {
    const r = await promtool('check', 'rules', ALERTS);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${EXPECTED_ALERTS.length} rules found`);
  });

  it('has the alerts the cluster needs', () => {
    const names = [...readFileSync(ALERTS, 'utf8').matchAll(/^\s*- alert:\s*(\S+)/gm)].map(
      (m) => m[1],
    );
    expect(names).toEqual(EXPECTED_ALERTS);
  });

  it('passes its rule unit tests (each alert fires and stays quiet when it should)', async () => {
    const r = await promtool('test', 'rules', RULE_TESTS);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
    // Every alert has at least one case where it fires and one where it must not.
    const tests = readFileSync(RULE_TESTS, 'utf8');
    for (const name of EXPECTED_ALERTS) {
      const cases = tests
        .split(/\n\s*- eval_time:/)
        .filter((c) => c.includes(`alertname: ${name}`));
      expect(
        cases.some((c) => /exp_alerts:\s*\[\]/.test(c)),
        `${name} quiet case`,
      ).toBe(true);
      expect(
        cases.some((c) => /exp_alerts:\s*(\n\s*- exp_labels|\*)/.test(c)),
        `${name} firing case`,
      ).toBe(true);
    }
  });

  it('queries only metrics and labels that docs/metrics.md lists', () => {
    const catalogue = parseCatalogue(readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8'));
    const exprs = ruleExpressions(readFileSync(ALERTS, 'utf8'));
    expect(exprs).toHaveLength(EXPECTED_ALERTS.length);
    const problems = exprs.flatMap((e) => checkExpression(catalogue, e).map((p) => `${p}: ${e}`));
    expect(problems).toEqual([]);
  });
});
