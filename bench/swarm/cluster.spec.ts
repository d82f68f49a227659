import { describe, expect, it } from 'vitest';
import {
  allManagersUp,
  joinRequest,
  leaderIdOf,
  managerStatusById,
  type NodeView,
} from './cluster';

const manager = (ID: string, status: 'leader' | string): NodeView => ({
  ID,
  Spec: { Role: 'manager' },
  ManagerStatus:
    status === 'leader'
      ? { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:1' }
      : { Reachability: status, Addr: '127.0.0.1:2' },
});
const worker = (ID: string): NodeView => ({ ID, Spec: { Role: 'worker' } });

describe('node list helpers', () => {
  it('reads each manager as leader or its reachability; workers are left out', () => {
    const m = managerStatusById([manager('a', 'leader'), manager('b', 'unreachable'), worker('w')]);
    expect([...m]).toEqual([
      ['a', 'leader'],
      ['b', 'unreachable'],
    ]);
  });

  it('names the leader only when there is exactly one', () => {
    expect(leaderIdOf([manager('a', 'reachable'), manager('b', 'leader')])).toBe('b');
    expect(leaderIdOf([manager('a', 'reachable')])).toBeUndefined();
    expect(leaderIdOf([manager('a', 'leader'), manager('b', 'leader')])).toBeUndefined();
  });

  it('is up when exactly these managers show: one Leader, the rest Reachable', () => {
    const ids = ['a', 'b', 'c'];
    const up = [manager('a', 'reachable'), manager('b', 'leader'), manager('c', 'reachable')];
    expect(allManagersUp([...up, worker('w')], ids)).toBe(true);
    expect(allManagersUp(up.slice(0, 2), ids)).toBe(false);
    expect(allManagersUp([up[0]!, up[1]!, manager('c', 'unreachable')], ids)).toBe(false);
    expect(allManagersUp([up[0]!, up[1]!, manager('d', 'reachable')], ids)).toBe(false);
    expect(allManagersUp([manager('a', 'reachable'), manager('b', 'reachable'), up[2]!], ids)).toBe(
      false,
    );
  });

  it('joins through the given manager with the token, as the docker CLI sends it', () => {
    expect(joinRequest('SWMTKN-1-x-y', '127.0.0.1:7377')).toEqual({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      RemoteAddrs: ['127.0.0.1:7377'],
      JoinToken: 'SWMTKN-1-x-y',
    });
  });
});
