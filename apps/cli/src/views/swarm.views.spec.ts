import { describe, expect, it } from 'vitest';
import type { SystemInfo } from '../api/swarm.types';
import { managerAddress } from './swarm.views';

const withManagers = (
  NodeID: string | undefined,
  RemoteManagers: NonNullable<SystemInfo['Swarm']>['RemoteManagers'],
): SystemInfo => ({ Swarm: { NodeID, RemoteManagers } });

describe('managerAddress', () => {
  it("prefers this node's own entry", () => {
    const info = withManagers('b', [
      { NodeID: 'a', Addr: '10.0.0.1:2377' },
      { NodeID: 'b', Addr: '10.0.0.2:2377' },
    ]);
    expect(managerAddress(info)).toBe('10.0.0.2:2377');
  });

  it('falls back to the first manager when this node is not listed', () => {
    const info = withManagers('w', [
      { NodeID: 'a', Addr: '10.0.0.1:2377' },
      { NodeID: 'b', Addr: '10.0.0.2:2377' },
    ]);
    expect(managerAddress(info)).toBe('10.0.0.1:2377');
  });

  it('skips entries without an address', () => {
    const info = withManagers('a', [{ NodeID: 'a' }, { NodeID: 'b', Addr: '10.0.0.2:2377' }]);
    expect(managerAddress(info)).toBe('10.0.0.2:2377');
  });

  it('is undefined when no manager is listed', () => {
    expect(managerAddress(withManagers('a', null))).toBeUndefined();
    expect(managerAddress(withManagers(undefined, []))).toBeUndefined();
    expect(managerAddress({})).toBeUndefined();
  });
});
