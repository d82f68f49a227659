import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExpression, parseCatalogue, selectorsIn } from './promql-names';
import { promtool } from './promtool';

const ROOT = path.resolve(__dirname, '../..');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/shoal-dashboard.json');

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title: string;
  id: number;
  panels?: Panel[];
  targets?: Target[];
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
}
interface Variable {
  type: string;
  name: string;
  query?: string | { query?: string };
}
interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })),
);
const variableQueries = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => ({
    panel: `$${v.name}`,
    expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
  }));

/** Grafana's variables as Prometheus would see them after interpolation. */
function interpolate(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '1m')
    .replace(/\$\{?(instance|service)\}?/g, '.*');
}

describe('deploy/grafana/shoal-dashboard.json', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shoal-dashboard-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is a Grafana dashboard on a Prometheus datasource variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toBe('shoal-cluster');
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('has the rows the operators need, each with panels that query', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Cluster overview', 'Raft', 'Services', 'Nodes and tasks', 'Process']);
    for (const p of queryPanels) {
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.expr?.trim(), p.title).toBeTruthy();
    }
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lays panels out without overlaps', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos!;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('queries only metrics and labels that docs/metrics.md lists', () => {
    const catalogue = parseCatalogue(readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8'));
    const problems = [...exprs, ...variableQueries].flatMap(({ panel, expr }) =>
      checkExpression(catalogue, expr).map((p) => `${panel}: ${p}`),
    );
    expect(problems).toEqual([]);
    // Guard against an extractor that finds nothing and so approves everything.
    const used = new Set(exprs.flatMap(({ expr }) => selectorsIn(expr).map((s) => s.metric)));
    expect(used.size).toBeGreaterThan(30);
  });

  it('has PromQL that Prometheus parses (promtool, with variables interpolated)', async () => {
    const rules = exprs
      .map(
        ({ expr }, i) =>
          `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(interpolate(expr))}`,
      )
      .join('\n');
    const file = path.join(tmp, 'dashboard-rules.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
    const r = await promtool('check', 'rules', file);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
