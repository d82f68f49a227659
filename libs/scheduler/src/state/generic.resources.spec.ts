import { describe, expect, it } from 'vitest';
import {
  assignedClaims,
  claimsToResources,
  GenericPool,
  genericRequests,
} from './generic.resources';

const named = (kind: string, value: string) => ({
  NamedResourceSpec: { Kind: kind, Value: value },
});
const discrete = (kind: string, value: number) => ({
  DiscreteResourceSpec: { Kind: kind, Value: value },
});

describe('generic resources', () => {
  it('sums a request per kind and flags named requests as unsatisfiable', () => {
    expect(genericRequests([discrete('gpu', 1), discrete('ssd', 2), discrete('gpu', 2)])).toEqual({
      requests: [
        { kind: 'gpu', count: 3 },
        { kind: 'ssd', count: 2 },
      ],
      unsatisfiable: false,
    });
    expect(genericRequests([named('gpu', 'g0')]).unsatisfiable).toBe(true);
    expect(genericRequests(undefined)).toEqual({ requests: [], unsatisfiable: false });
  });

  it('picks the first free named units, in the node’s order, and gives them back', () => {
    const pool = new GenericPool([named('gpu', 'g0'), named('gpu', 'g1'), named('gpu', 'g2')]);
    const first = pool.pick('gpu', 2);
    expect(first).toEqual({ kind: 'gpu', units: ['g0', 'g1'], count: 2 });
    pool.apply(first);
    expect(pool.available('gpu')).toBe(1);
    expect(pool.hasEnough([{ kind: 'gpu', count: 2 }])).toBe(false);
    expect(pool.pick('gpu', 1).units).toEqual(['g2']);
    pool.release(first);
    expect(pool.available('gpu')).toBe(3);
  });

  it('counts discrete offers, and a unit claimed twice is still one unit', () => {
    const pool = new GenericPool([discrete('ssd', 3), named('gpu', 'g0'), named('gpu', 'g1')]);
    pool.apply({ kind: 'ssd', units: [], count: 2 });
    expect(pool.available('ssd')).toBe(1);
    const g0 = { kind: 'gpu', units: ['g0'], count: 1 };
    pool.apply(g0);
    pool.apply(g0);
    expect(pool.available('gpu')).toBe(1);
    pool.release(g0);
    expect(pool.available('gpu')).toBe(1);
    pool.release(g0);
    expect(pool.available('gpu')).toBe(2);
    // A unit the node does not offer (any more) still takes one from the kind's count.
    pool.apply({ kind: 'gpu', units: ['gone'], count: 1 });
    expect(pool.available('gpu')).toBe(1);
  });

  it('round-trips claims through AssignedGenericResources', () => {
    const claims = [
      { kind: 'gpu', units: ['g0', 'g1'], count: 2 },
      { kind: 'ssd', units: [], count: 2 },
    ];
    const resources = claimsToResources(claims);
    expect(resources).toEqual([named('gpu', 'g0'), named('gpu', 'g1'), discrete('ssd', 2)]);
    expect(assignedClaims(resources)).toEqual(claims);
  });
});
