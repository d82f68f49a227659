import { describe, expect, it } from 'vitest';
import { OBJECT_ID_LENGTH, objectIdGenerator, seededRandomBytes } from './ids';

describe('objectIdGenerator', () => {
  it('makes 25-character lowercase base-36 IDs', () => {
    const next = objectIdGenerator();
    const ids = new Set(Array.from({ length: 1000 }, () => next()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(new RegExp(`^[0-9a-z]{${OBJECT_ID_LENGTH}}$`));
  });

  it('is reproducible from a seed', () => {
    const a = objectIdGenerator(seededRandomBytes(7));
    const b = objectIdGenerator(seededRandomBytes(7));
    expect([a(), a()]).toEqual([b(), b()]);
  });
});
