import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './storage';
import { Network } from './testing/network';
import { ConfChangeType, MessageType, Role } from './types';

const ids = ['a', 'b', 'c'];
const { AddVoter, AddLearner, RemoveNode } = ConfChangeType;

describe('membership changes', () => {
  it('adds a joining node as a learner, replicates to it, then promotes it', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.propose('a', 'before');
    net.addNode('d'); // empty storage: joins, does not bootstrap
    net.proposeConfChange('a', { type: AddLearner, nodeId: 'd' });
    net.tickAll(3);
    expect(net.status('a').confState).toEqual({ voters: ids, learners: ['d'] });
    expect(net.status('d').confState).toEqual({ voters: ids, learners: ['d'] });
    expect(net.data('d')).toEqual(['before']);
    expect(net.status('a').progress.get('d')!.isLearner).toBe(true);

    net.proposeConfChange('a', { type: AddVoter, nodeId: 'd' });
    for (const id of [...ids, 'd']) {
      expect(net.status(id).confState).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    }
    // With four voters, a quorum needs three: a and d alone cannot commit.
    net.isolate('b');
    net.isolate('c');
    net.propose('a', 'needs-3');
    expect(net.data('a')).toEqual(['before']);
    net.heal();
    net.tickAll(2);
    expect(net.data('d')).toEqual(['before', 'needs-3']);
  });

  it('a restarted node keeps conf changes it applied after its last snapshot', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.addNode('d');
    net.proposeConfChange('a', { type: AddLearner, nodeId: 'd' });
    net.proposeConfChange('a', { type: AddVoter, nodeId: 'd' });
    net.proposeConfChange('a', { type: RemoveNode, nodeId: 'c' });
    net.tickAll(2);
    // Storage still holds the bootstrap snapshot's configuration {a,b,c}.
    expect(net.storages.get('b')!.initialState().confState.voters).toEqual(ids);
    net.crash('b');
    const b = net.restart('b');
    expect(b.status().confState).toEqual({ voters: ['a', 'b', 'd'], learners: [] });
    net.crash('d');
    expect(net.restart('d').status().confState).toEqual({ voters: ['a', 'b', 'd'], learners: [] });
  });

  it('demotes a voter to learner', () => {
    const four = ['a', 'b', 'c', 'd'];
    const net = Network.create(four);
    net.campaign('a');
    net.proposeConfChange('a', { type: AddLearner, nodeId: 'd' });
    expect(net.status('b').confState).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(net.status('d').confState).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    net.isolate('a');
    net.tickAll(60);
    // The learner never campaigns even though the leader is gone; b and c elect one of them.
    expect(net.status('d').softState.role).toBe(Role.Follower);
    expect(['b', 'c']).toContain(net.leader());
    expect(net.status('d').softState.lead).toBe(net.leader());
  });

  it('removes a follower; the rest carry on and it receives nothing more', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.proposeConfChange('a', { type: RemoveNode, nodeId: 'c' });
    expect(net.status('a').confState).toEqual({ voters: ['a', 'b'], learners: [] });
    const before = net.sent.length;
    net.propose('a', 'x');
    net.tickAll(5);
    expect(net.data('b')).toEqual(['x']);
    expect(net.sent.slice(before).some((m) => m.to === 'c' && m.from === 'a')).toBe(false);
    expect(net.status('c').confState.voters).not.toContain('c');
  });

  it('refuses a second conf change while one is pending', () => {
    const net = Network.create(ids);
    net.campaign('a');
    const a = net.node('a');
    a.proposeConfChange({ type: AddLearner, nodeId: 'd', context: new Uint8Array() });
    expect(() =>
      a.proposeConfChange({ type: AddLearner, nodeId: 'e', context: new Uint8Array() }),
    ).toThrow(/already pending/);
    net.stabilize();
    // Applied now: the next one is accepted.
    expect(
      a.proposeConfChange({ type: AddLearner, nodeId: 'e', context: new Uint8Array() }),
    ).not.toBeNull();
  });

  it('a new leader cannot change membership before committing an entry of its term', () => {
    const net = Network.create(ids, { config: { preVote: false } });
    const restore = net.drop((m) => m.type === MessageType.App);
    net.campaign('a');
    expect(net.status('a').softState.role).toBe(Role.Leader);
    expect(() =>
      net.node('a').proposeConfChange({ type: RemoveNode, nodeId: 'c', context: new Uint8Array() }),
    ).toThrow(ProposalDroppedError);
    restore();
    net.tickAll(2);
    net.proposeConfChange('a', { type: RemoveNode, nodeId: 'c' });
    expect(net.status('a').confState.voters).toEqual(['a', 'b']);
  });

  it('refuses to remove the last voter', () => {
    const net = Network.create(['a']);
    net.campaign('a');
    expect(() => net.proposeConfChange('a', { type: RemoveNode, nodeId: 'a' })).toThrow(
      /no voters/,
    );
  });

  it('a removed leader steps down after applying its own removal; the others elect a leader', () => {
    const net = Network.create(ids, { seed: 9 });
    net.campaign('a');
    net.proposeConfChange('a', { type: RemoveNode, nodeId: 'a' });
    expect(net.status('a').softState.role).toBe(Role.Follower);
    net.tickAll(40);
    const leader = net.leader();
    expect(['b', 'c']).toContain(leader);
    net.propose(leader!, 'y');
    expect(net.data('b')).toEqual(['y']);
    expect(net.data('c')).toEqual(['y']);
    expect(net.status(leader!).confState).toEqual({ voters: ['b', 'c'], learners: [] });
    // The removed node never campaigns.
    expect(net.status('a').softState.role).toBe(Role.Follower);
  });

  it('a member added while partitioned catches up via the log and can then lead', () => {
    const net = Network.create(['a']);
    net.campaign('a');
    net.addNode('b');
    net.proposeConfChange('a', { type: AddVoter, nodeId: 'b' });
    net.tickAll(3);
    expect(net.status('b').confState).toEqual({ voters: ['a', 'b'], learners: [] });
    net.node('a').transferLeader('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
  });
});
