import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './storage';
import { bytes, Network } from './testing/network';
import { ConfChangeType, MessageType, Role } from './types';

const ids = ['a', 'b', 'c'];

describe('leader transfer', () => {
  it('hands leadership to an up-to-date follower despite the leader lease', () => {
    const net = Network.create(ids);
    net.campaign('a');
    const t = net.status('a').hardState.term;
    net.node('a').transferLeader('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
    expect(net.status('b').hardState.term).toBe(t + 1);
    expect(net.status('a').softState).toEqual({ lead: 'b', role: Role.Follower });
    // The transferee skipped pre-vote.
    expect(net.sent.some((m) => m.type === MessageType.PreVote && m.from === 'b')).toBe(false);
  });

  it('brings a lagging follower up to date first, refusing proposals meanwhile', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `v${i}`);
    net.heal();
    net.node('a').transferLeader('c');
    expect(net.status('a').leadTransferee).toBe('c');
    expect(() => net.node('a').propose(bytes('during'))).toThrow(/transfer/);
    expect(() => net.node('a').propose(bytes('during'))).toThrow(ProposalDroppedError);
    net.stabilize();
    expect(net.leader()).toBe('c');
    expect(net.data('c')).toHaveLength(10);
    net.propose('c', 'after');
    for (const id of ids) expect(net.data(id).at(-1)).toBe('after');
  });

  it('aborts after an election timeout if the transferee does not take over', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.isolate('c');
    net.node('a').transferLeader('c');
    net.stabilize();
    expect(() => net.node('a').propose(bytes('x'))).toThrow(ProposalDroppedError);
    net.tick('a', 10);
    expect(net.status('a').leadTransferee).toBe('');
    expect(net.leader()).toBe('a');
    expect(net.propose('a', 'x')).not.toBeNull();
  });

  it('can be requested through a follower', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.node('b').transferLeader('b');
    net.stabilize();
    expect(net.leader()).toBe('b');
  });

  it('ignores transfers to a learner or to itself', () => {
    const net = Network.create(['a', 'b'], { learners: ['l'] });
    net.campaign('a');
    net.node('a').transferLeader('l');
    net.node('a').transferLeader('a');
    net.stabilize();
    expect(net.status('a').leadTransferee).toBe('');
    expect(net.leader()).toBe('a');
  });

  it('aborts if the transferee is removed', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.isolate('c');
    net.node('a').transferLeader('c');
    net.stabilize();
    // Proposals (including conf changes) are refused during a transfer...
    expect(() =>
      net.node('a').proposeConfChange({
        type: ConfChangeType.RemoveNode,
        nodeId: 'c',
        context: new Uint8Array(),
      }),
    ).toThrow(ProposalDroppedError);
    net.tick('a', 10);
    net.proposeConfChange('a', { type: ConfChangeType.RemoveNode, nodeId: 'c' });
    expect(net.status('a').confState.voters).toEqual(['a', 'b']);
  });
});
