import { describe, expect, it } from 'vitest';
import { summarize } from '../raft/stats';
import {
  commonTarget,
  formatComparison,
  formatTable,
  medianResult,
  perRoundJson,
  ratio,
  ratiosJson,
  rssAt,
  systemJson,
} from './report';
import { type RssCheckpoint, type ScenarioResult } from './scenario';

const lat = (ms: number) => ({
  n: 10,
  p50Ms: ms,
  p99Ms: ms * 2,
  meanMs: ms,
  maxMs: ms * 3,
  errors: 0,
});
const cp = (target: number, rssMiB: number, complete = true): RssCheckpoint => ({
  target,
  complete,
  services: target,
  rssBytes: rssMiB * 2 ** 20,
  hwmBytes: rssMiB * 2 ** 20,
  fillSeconds: target / 1000,
});

function result(checkpoints: RssCheckpoint[], ms = 1, baselineMiB = 100): ScenarioResult {
  return {
    create: lat(ms),
    inspect: lat(ms / 2),
    createConcurrent: {
      ...lat(ms * 10),
      concurrency: 16,
      opsPerSec: 1000 / ms,
      serverCpuMsPerCreate: ms / 2,
    },
    baseline: cp(0, baselineMiB),
    checkpoints,
    fillFromServices: 1100,
    stoppedEarly: undefined,
  };
}

describe('commonTarget', () => {
  it('is the largest target every result reached completely', () => {
    const shoal = result([cp(2000, 110), cp(5000, 120), cp(10_000, 140)]);
    const docker = result([cp(2000, 110), cp(5000, 120), cp(10_000, 130, false)]);
    expect(commonTarget([shoal, docker])).toBe(5000);
    expect(commonTarget([shoal])).toBe(10_000);
    expect(commonTarget([shoal, result([])])).toBeUndefined();
  });
});

describe('rssAt', () => {
  it('gives bytes per service over the baseline at that target', () => {
    const r = rssAt(result([cp(2000, 110), cp(5000, 150)]), 5000)!;
    expect(r.services).toBe(5000);
    expect(r.bytesPerService).toBeCloseTo((50 * 2 ** 20) / 5000);
    expect(r.fillSeconds).toBe(5);
    expect(r.fillFromServices).toBe(1100);
  });

  it('is undefined without a baseline (no pid) or without that checkpoint', () => {
    expect(rssAt({ ...result([cp(2000, 110)]), baseline: undefined }, 2000)).toBeUndefined();
    expect(rssAt(result([cp(2000, 110)]), 5000)).toBeUndefined();
    expect(rssAt(result([cp(2000, 110, false)]), 2000)).toBeUndefined();
  });
});

describe('ratios', () => {
  it('divides shoal by docker and is null where either is missing', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(undefined, 1)).toBeNull();
    expect(ratio(NaN, 1)).toBeNull();
    const shoal = result([cp(2000, 110)], 1);
    const docker = result([cp(2000, 120)], 2);
    const q = ratiosJson(shoal, docker, rssAt(shoal, 2000), rssAt(docker, 2000));
    expect(q.createP50).toBe(0.5);
    expect(q.createConcurrentOpsPerSec).toBe(2);
    expect(q.bytesPerService).toBe(0.5);
    expect(ratiosJson(shoal, undefined, rssAt(shoal, 2000), undefined).createP50).toBeNull();
  });
});

describe('JSON and table', () => {
  it('keeps the JSON valid when figures are missing', () => {
    const r = result([]);
    r.inspect = {
      ...lat(1),
      ...(() => {
        const s = summarize([]);
        return { n: s.count, p50Ms: s.p50, p99Ms: s.p99 };
      })(),
    };
    const json = JSON.parse(JSON.stringify(systemJson(r, undefined)));
    expect(json.inspect.p50Ms).toBeNull();
    expect(json.rss).toBeNull();
  });

  it('aligns columns and prints n/a for a missing peer', () => {
    const t = formatTable(
      ['', 'a', 'b'],
      [
        ['long label', '1', '22'],
        ['x', '333', '4'],
      ],
    );
    const lines = t.split('\n');
    expect(lines[0]!.length).toBe(lines[2]!.length);
    expect(lines[3]).toMatch(/^x\s+333\s+4$/);
    const shoal = result([cp(10_000, 140)]);
    const text = formatComparison(shoal, undefined, rssAt(shoal, 10_000), undefined);
    expect(text).toContain('create p50 ms');
    expect(text).toContain('n/a');
    expect(text).toContain('10000 services');
  });
});

describe('medianResult', () => {
  it('takes the median of every figure, sums errors, keeps checkpoints all rounds reached', () => {
    const a = result([cp(2000, 110), cp(5000, 130)], 1, 100);
    const b = result([cp(2000, 120), cp(5000, 150, false)], 3, 90);
    const c = result([cp(2000, 115), cp(5000, 140)], 2, 95);
    b.create = { ...b.create, errors: 2 };
    const m = medianResult([a, b, c]);
    expect(m.create.p50Ms).toBe(2);
    expect(m.create.errors).toBe(2);
    expect(m.createConcurrent.opsPerSec).toBe(500);
    expect(m.baseline!.rssBytes).toBe(95 * 2 ** 20);
    expect(m.checkpoints.map((x) => [x.target, x.rssBytes / 2 ** 20])).toEqual([[2000, 115]]);
  });

  it('passes a single round through, has no baseline if a round lacked one, needs a round', () => {
    const a = result([cp(2000, 110)]);
    expect(medianResult([a])).toBe(a);
    expect(medianResult([a, { ...a, baseline: undefined }]).baseline).toBeUndefined();
    expect(() => medianResult([])).toThrow(RangeError);
  });

  it('lists each round’s headline figures', () => {
    const rows = perRoundJson([result([cp(2000, 110)], 1), result([cp(2000, 120)], 2)], 2000);
    expect(rows.map((r) => [r.createP50Ms, r.withServicesBytes])).toEqual([
      [1, 110 * 2 ** 20],
      [2, 120 * 2 ** 20],
    ]);
    expect(perRoundJson([result([])], 2000)[0]!.withServicesBytes).toBeNull();
  });
});
