import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights';

describe('Inflights', () => {
  it('fills up to capacity and frees from the front', () => {
    const f = new Inflights(3);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(5, 10);
    expect(f.full()).toBe(true);
    expect(() => f.add(6, 1)).toThrow(RangeError);
    f.freeLE(0);
    expect(f.count).toBe(3);
    f.freeLE(2);
    expect(f.count).toBe(1);
    expect(f.totalBytes).toBe(10);
    // Indexes between entries free only those at or below.
    f.freeLE(4);
    expect(f.count).toBe(1);
    f.freeLE(5);
    expect(f.count).toBe(0);
  });

  it('wraps around the ring buffer', () => {
    const f = new Inflights(4);
    for (let i = 1; i <= 4; i++) f.add(i, 1);
    f.freeLE(3);
    for (let i = 5; i <= 7; i++) f.add(i, 1);
    expect(f.full()).toBe(true);
    expect(f.count).toBe(4);
    f.freeLE(6);
    expect(f.count).toBe(1);
    f.add(8, 1);
    f.freeLE(8);
    expect(f.count).toBe(0);
  });

  it('freeFirstOne releases the oldest message only', () => {
    const f = new Inflights(2);
    f.add(3, 1);
    f.add(7, 1);
    f.freeFirstOne();
    expect(f.count).toBe(1);
    expect(f.full()).toBe(false);
    f.freeFirstOne();
    f.freeFirstOne();
    expect(f.count).toBe(0);
  });

  it('honours a byte budget', () => {
    const f = new Inflights(10, 100);
    f.add(1, 60);
    expect(f.full()).toBe(false);
    f.add(2, 40);
    expect(f.full()).toBe(true);
    f.freeLE(1);
    expect(f.full()).toBe(false);
  });

  it('reset empties it', () => {
    const f = new Inflights(1);
    f.add(1, 1);
    f.reset();
    expect(f.count).toBe(0);
    f.add(9, 1);
    expect(f.full()).toBe(true);
  });
});
