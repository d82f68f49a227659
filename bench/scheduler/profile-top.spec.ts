import { describe, expect, it } from 'vitest';
import { topFunctions } from './profile-top';

describe('topFunctions', () => {
  it('splits self from inclusive time and counts a recursive function once per sample', () => {
    const frame = (functionName: string) => ({ functionName, url: '' });
    const { totalMs, self, inclusive } = topFunctions({
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('apply'), children: [3, 4] },
        { id: 3, callFrame: frame('publish') },
        { id: 4, callFrame: frame('apply'), children: [5] },
        { id: 5, callFrame: frame('publish') },
      ],
      samples: [2, 3, 5, 5],
      timeDeltas: [1000, 2000, 3000, 4000],
    });
    expect(totalMs).toBe(10);
    expect(self).toEqual([
      { name: 'publish', ms: 9 },
      { name: 'apply', ms: 1 },
    ]);
    expect(inclusive.find((f) => f.name === 'apply')?.ms).toBe(10);
    expect(inclusive.find((f) => f.name === 'publish')?.ms).toBe(9);
  });
});
