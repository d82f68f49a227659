import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory-storage';
import { Raft } from './raft';
import { resolveConfig } from './raft-config';
import { RaftNode } from './raft-node';
import { SeededRng } from './rng';
import { Network } from './testing/network';
import { emptyMessage, MessageType, Role } from './types';

const ids = ['a', 'b', 'c'];

function roles(net: Network): Record<string, Role> {
  return Object.fromEntries(net.ids().map((id) => [id, net.status(id).softState.role]));
}

function term(net: Network, id: string): number {
  return net.status(id).hardState.term;
}

describe('leader election', () => {
  it('elects exactly one leader by ticking, and everyone follows it', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const net = Network.create(ids, { seed });
      net.tickAll(25);
      const leader = net.leader();
      expect(leader).toBeDefined();
      const r = roles(net);
      expect(Object.values(r).filter((x) => x === Role.Leader)).toHaveLength(1);
      for (const id of ids) {
        expect(net.status(id).softState.lead).toBe(leader);
        expect(term(net, id)).toBe(term(net, leader!));
      }
      // The leader's empty entry is committed everywhere.
      for (const id of ids) expect(net.status(id).hardState.commit).toBe(2);
    }
  });

  it('draws election timeouts from [electionTick, 2*electionTick)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const storage = new MemoryStorage();
      RaftNode.bootstrapStorage(storage, ['a']);
      const r = new Raft(
        resolveConfig({ id: 'a', storage, rng: new SeededRng(seed), electionTick: 10 }),
      );
      for (let i = 0; i < 3; i++) {
        r.resetRandomizedElectionTimeout();
        expect(r.randomizedElectionTimeout).toBeGreaterThanOrEqual(10);
        expect(r.randomizedElectionTimeout).toBeLessThan(20);
        seen.add(r.randomizedElectionTimeout);
      }
    }
    expect(seen.size).toBe(10);
  });

  it('a single-voter cluster elects itself at once and commits alone', () => {
    const net = Network.create(['solo']);
    net.campaign('solo');
    expect(net.status('solo').softState.role).toBe(Role.Leader);
    expect(net.propose('solo', 'x')).toEqual({ index: 3, term: 2 });
    expect(net.data('solo')).toEqual(['x']);
  });

  it('a candidate with a stale log cannot win; an up-to-date one can', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.isolate('c');
    net.propose('a', 'x');
    net.crash('a');
    net.heal();
    net.campaign('c');
    expect(net.status('c').softState.role).not.toBe(Role.Leader);
    expect(net.status('b').hardState.vote).not.toBe('c');
    net.tickAll(60);
    expect(net.leader()).toBe('b');
    expect(net.data('c')).toEqual(['x']);
  });

  it('grants at most one vote per term', () => {
    const storage = new MemoryStorage();
    RaftNode.bootstrapStorage(storage, ids);
    const n = new RaftNode({ id: 'a', storage, rng: new SeededRng(1), checkQuorum: false });
    const vote = (from: string) => {
      const m = emptyMessage(MessageType.Vote, 'a', from);
      m.term = 5;
      m.index = 1;
      m.logTerm = 1;
      n.step(m);
    };
    vote('b');
    vote('c');
    vote('b'); // a repeat for the same candidate is granted again
    const resps = n.ready().messages;
    expect(resps.map((m) => [m.to, m.type, m.reject])).toEqual([
      ['b', MessageType.VoteResp, false],
      ['c', MessageType.VoteResp, true],
      ['b', MessageType.VoteResp, false],
    ]);
    expect(n.status().hardState).toMatchObject({ term: 5, vote: 'b' });
  });

  it('learners never campaign', () => {
    const net = Network.create(['a', 'b'], { learners: ['l'] });
    net.isolate('a');
    net.isolate('b');
    net.tickAll(100);
    expect(net.status('l').softState.role).toBe(Role.Follower);
    expect(term(net, 'l')).toBe(1);
    net.campaign('l');
    expect(net.status('l').softState.role).toBe(Role.Follower);
  });
});

describe('pre-vote', () => {
  it('a partitioned node does not bump its term and does not disrupt the cluster on rejoin', () => {
    const net = Network.create(ids, { seed: 7 });
    net.campaign('a');
    const t = term(net, 'a');
    net.isolate('c');
    net.tickAll(100);
    expect(term(net, 'c')).toBe(t);
    expect(net.status('c').softState.role).toBe(Role.PreCandidate);
    net.heal();
    net.tickAll(30);
    expect(net.leader()).toBe('a');
    for (const id of ids) expect(term(net, id)).toBe(t);
    expect(net.status('c').softState.lead).toBe('a');
  });

  it('without pre-vote or check-quorum the same partition deposes the leader (control)', () => {
    const net = Network.create(ids, { seed: 7, config: { preVote: false, checkQuorum: false } });
    net.campaign('a');
    const t = term(net, 'a');
    net.isolate('c');
    net.tickAll(100);
    expect(term(net, 'c')).toBeGreaterThan(t + 3);
    net.heal();
    net.tickAll(30);
    expect(term(net, 'a')).toBeGreaterThan(t);
  });

  it('a pre-candidate whose pre-vote succeeds campaigns for real', () => {
    const net = Network.create(ids);
    net.campaign('b');
    expect(net.leader()).toBe('b');
    expect(term(net, 'b')).toBe(2);
  });
});

describe('check-quorum', () => {
  it('an isolated leader steps down within an election timeout; the rest elect a new one', () => {
    const net = Network.create(ids, { seed: 3 });
    net.campaign('a');
    net.isolate('a');
    for (let i = 0; i < 10; i++) net.tick('a');
    expect(net.status('a').softState.role).toBe(Role.Leader);
    net.tick('a', 11);
    expect(net.status('a').softState.role).toBe(Role.Follower);
    expect(net.status('a').softState.lead).toBe('');
    net.tickAll(40);
    const leader = net.leader();
    expect(['b', 'c']).toContain(leader);
    net.heal();
    net.tickAll(5);
    expect(net.status('a').softState.lead).toBe(leader);
  });

  it('status keeps the last round: a follower that answered is never shown silent between rounds', () => {
    // Default election timeout: 10 ticks, so one check-quorum round per 10 leader ticks.
    const net = Network.create(ids, { seed: 3 });
    net.campaign('a');
    const progressOf = (id: string) => net.status('a').progress.get(id)!;
    for (let round = 0; round < 3; round++) {
      // Ticking only the leader: its heartbeats go out, the answers wait until deliver(),
      // so right after the round's reset nobody has answered this round yet.
      net.tick('a', 10);
      for (const id of ['b', 'c']) {
        expect(progressOf(id).recentActive || progressOf(id).activeLastRound).toBe(true);
      }
      net.stabilize();
    }
    // Silent for two whole rounds: then, and only then, both flags are down.
    net.isolate('c');
    net.tickAll(10);
    expect(progressOf('c').activeLastRound).toBe(true);
    net.tickAll(10);
    expect(progressOf('c').recentActive || progressOf('c').activeLastRound).toBe(false);
    expect(progressOf('b').recentActive || progressOf('b').activeLastRound).toBe(true);
  });

  it('a leader that hears from a quorum stays', () => {
    const net = Network.create(ids, { seed: 3 });
    net.campaign('a');
    net.isolate('c');
    net.tickAll(100);
    expect(net.leader()).toBe('a');
  });

  it('leader lease: followers ignore vote requests while they hear from the leader', () => {
    const net = Network.create(ids, { config: { preVote: false } });
    net.campaign('a');
    const t = term(net, 'a');
    // c's heartbeats are lost, so c times out and campaigns at a higher term.
    const restore = net.drop((m) => m.to === 'c');
    net.tickAll(30);
    expect(term(net, 'c')).toBeGreaterThan(t);
    expect(net.status('c').softState.role).toBe(Role.Candidate);
    // a and b never granted (or even saw a term change from) c's requests.
    expect(net.leader()).toBe('a');
    expect(term(net, 'a')).toBe(t);
    expect(term(net, 'b')).toBe(t);
    restore();
  });
});
