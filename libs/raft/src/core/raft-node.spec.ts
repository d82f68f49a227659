import { describe, expect, it } from 'vitest';
import { MemoryStorage } from './memory-storage';
import { RaftNode } from './raft-node';
import { SeededRng } from './rng';
import { bytes, Network } from './testing/network';
import { emptyMessage, EntryType, type Message, MessageType, Role } from './types';

function node(
  storage: MemoryStorage,
  extra: Partial<ConstructorParameters<typeof RaftNode>[0]> = {},
) {
  return new RaftNode({ id: 'a', storage, rng: new SeededRng(1), ...extra });
}

function persistAndAdvance(n: RaftNode, s: MemoryStorage) {
  const rd = n.ready();
  if (rd.snapshot) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
  n.advance();
  return rd;
}

describe('RaftNode Ready', () => {
  it('reports state changes once and syncs only when term, vote or entries change', () => {
    const s = new MemoryStorage();
    RaftNode.bootstrapStorage(s, ['a']);
    const n = node(s);
    expect(n.hasReady()).toBe(false);

    n.campaign();
    expect(n.hasReady()).toBe(true);
    const rd1 = persistAndAdvance(n, s);
    expect(rd1.softState).toEqual({ lead: 'a', role: Role.Leader });
    expect(rd1.hardState).toEqual({ term: 2, vote: 'a', commit: 2 });
    expect(rd1.entries.map((e) => [e.index, e.term])).toEqual([[2, 2]]);
    // Committed entries may be the very entries being persisted in this Ready.
    expect(rd1.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd1.mustSync).toBe(true);
    expect(n.hasReady()).toBe(false);

    n.propose(bytes('x'));
    const rd2 = persistAndAdvance(n, s);
    expect(rd2.softState).toBeUndefined();
    expect(rd2.hardState).toEqual({ term: 2, vote: 'a', commit: 3 });
    expect(rd2.mustSync).toBe(true);
    expect(n.status().applied).toBe(3);
  });

  it('a commit-only change needs no sync', () => {
    const net = Network.create(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    let prev = { term: 1, vote: '', commit: 1 };
    let commitOnly = 0;
    for (const rd of net.readies.get('b')!) {
      if (!rd.hardState) continue;
      const onlyCommit = rd.hardState.term === prev.term && rd.hardState.vote === prev.vote;
      if (onlyCommit && rd.entries.length === 0) {
        expect(rd.mustSync).toBe(false);
        commitOnly++;
      }
      prev = rd.hardState;
    }
    expect(commitOnly).toBeGreaterThan(0);
  });

  it('does not hand the same entries out twice, even before advance', () => {
    const s = new MemoryStorage();
    RaftNode.bootstrapStorage(s, ['a']);
    const n = node(s);
    n.campaign();
    const rd1 = n.ready();
    s.append(rd1.entries);
    if (rd1.hardState) s.setHardState(rd1.hardState);
    n.propose(bytes('y'));
    const rd2 = n.ready();
    expect(rd2.entries.map((e) => e.index)).toEqual([3]);
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([3]);
    s.append(rd2.entries);
    n.advance();
    expect(n.hasReady()).toBe(false);
    expect(n.status().applied).toBe(3);
  });

  it('limits committed entries per Ready to maxSizePerMsg', () => {
    const s = new MemoryStorage();
    RaftNode.bootstrapStorage(s, ['a']);
    const n = node(s, { maxSizePerMsg: 250 });
    n.campaign();
    persistAndAdvance(n, s);
    for (let i = 0; i < 10; i++) n.propose(new Uint8Array(100));
    const sizes: number[] = [];
    while (n.hasReady()) sizes.push(persistAndAdvance(n, s).committedEntries.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...sizes)).toBe(2);
  });

  it('restarts from storage without re-applying entries', () => {
    const net = Network.create(['a', 'b', 'c']);
    net.campaign('a');
    net.propose('a', 'x');
    net.propose('a', 'y');
    net.crash('b');
    const applied = net.state.get('b')!.index;
    const b = net.restart('b');
    expect(b.status().applied).toBe(applied);
    expect(b.status().hardState.commit).toBe(applied);
    net.tickAll(3);
    expect(net.data('b')).toEqual(['x', 'y']);
    expect(net.state.get('b')!.entries.map((e) => e.index)).toEqual([2, 3, 4]);
  });

  it('restart tolerates applied beyond the persisted commit (commit is not fsynced)', () => {
    const s = new MemoryStorage();
    RaftNode.bootstrapStorage(s, ['a', 'b']);
    s.append([
      { index: 2, term: 2, type: EntryType.Normal, data: bytes('p') },
      { index: 3, term: 2, type: EntryType.Normal, data: bytes('q') },
    ]);
    s.setHardState({ term: 2, vote: 'a', commit: 2 });
    const n = node(s, { applied: 3 });
    expect(n.status().hardState.commit).toBe(3);
    expect(n.status().applied).toBe(3);
    expect(n.hasReady()).toBe(true); // the raised commit is reported
    expect(n.ready().committedEntries).toEqual([]);
  });
});

describe('RaftNode.step robustness', () => {
  const s = new MemoryStorage();
  RaftNode.bootstrapStorage(s, ['a', 'b', 'c']);

  it('drops local-only and malformed messages without throwing', () => {
    const n = node(s);
    const bad: Message[] = [
      emptyMessage(MessageType.Hup, 'a', 'b'),
      emptyMessage(MessageType.Beat, 'a', 'b'),
      emptyMessage(MessageType.CheckQuorum, 'a', 'b'),
      emptyMessage(MessageType.SnapStatus, 'a', 'b'),
      emptyMessage(MessageType.Unreachable, 'a', 'b'),
      { ...emptyMessage(MessageType.App, 'a', 'b'), term: -1 },
      { ...emptyMessage(MessageType.App, 'a', ''), term: 3 },
      { ...emptyMessage(MessageType.App, 'x', 'b'), term: 3 },
      { ...emptyMessage(99 as MessageType, 'a', 'b'), term: 3 },
      {
        ...emptyMessage(MessageType.App, 'a', 'b'),
        term: 3,
        index: 1,
        entries: [{ index: 5, term: 3, type: EntryType.Normal, data: new Uint8Array() }],
      },
      { ...emptyMessage(MessageType.Snap, 'a', 'b'), term: 3 },
      { ...emptyMessage(MessageType.AppResp, 'a', 'stranger'), term: 3 },
    ];
    for (const m of bad) expect(() => n.step(m)).not.toThrow();
    expect(n.status().softState.role).toBe(Role.Follower);
    expect(n.status().hardState.term).toBe(1);
    expect(n.hasReady()).toBe(false);
  });

  it('drops term-0 messages other than forwarded requests, so they cannot skip term checks', () => {
    const n = node(s);
    // A term-0 heartbeat or append would otherwise be treated as local and move the commit index.
    n.step({ ...emptyMessage(MessageType.Heartbeat, 'a', 'b'), commit: 1 });
    n.step({ ...emptyMessage(MessageType.App, 'a', 'b'), index: 1, logTerm: 1, commit: 1 });
    expect(() =>
      n.step({ ...emptyMessage(MessageType.Vote, 'a', 'b'), index: 9, logTerm: 9 }),
    ).not.toThrow();
    expect(n.status().softState.lead).toBe('');
    expect(n.status().hardState).toEqual({ term: 1, vote: '', commit: 1 });
    expect(n.hasReady()).toBe(false);
  });

  it('drops stale and unanswerable requests without throwing', () => {
    const n = node(s);
    // A forwarded proposal reaching a follower that knows no leader.
    const prop = emptyMessage(MessageType.Prop, 'a', 'b');
    prop.entries = [{ index: 0, term: 0, type: EntryType.Normal, data: bytes('x') }];
    expect(() => n.step(prop)).not.toThrow();
    // A response for a term long gone.
    expect(() => n.step({ ...emptyMessage(MessageType.AppResp, 'a', 'b'), term: 0 })).not.toThrow();
    const stale = { ...emptyMessage(MessageType.VoteResp, 'a', 'b'), term: 1 };
    expect(() => n.step(stale)).not.toThrow();
  });

  it('answers a stale leader so it learns the newer term', () => {
    const net = Network.create(['a', 'b', 'c']);
    net.campaign('a');
    net.isolate('a');
    net.tickAll(30);
    const fresh = net.leader()!;
    expect(fresh).not.toBe('a');
    net.heal();
    net.tickAll(2);
    expect(net.status('a').softState.lead).toBe(fresh);
  });
});

describe('RaftNode setup', () => {
  it('bootstrapStorage writes one shared configuration and refuses non-empty storage', () => {
    const s = new MemoryStorage();
    const snap = RaftNode.bootstrapStorage(s, ['c', 'a', 'b'], ['l']);
    expect(snap.metadata).toEqual({
      index: 1,
      term: 1,
      confState: { voters: ['a', 'b', 'c'], learners: ['l'] },
    });
    expect(s.initialState().hardState).toEqual({ term: 1, vote: '', commit: 1 });
    expect(() => RaftNode.bootstrapStorage(s, ['a'])).toThrow(/not empty/);
    expect(() => RaftNode.bootstrapStorage(new MemoryStorage(), [])).toThrow(RangeError);
    expect(() => RaftNode.bootstrapStorage(new MemoryStorage(), ['a'], ['a'])).toThrow(RangeError);
  });

  it('validates the config', () => {
    const s = new MemoryStorage();
    expect(() => node(s, { id: '' })).toThrow(/id/);
    expect(() => node(s, { electionTick: 1, heartbeatTick: 1 })).toThrow(/electionTick/);
    expect(() => node(s, { maxInflightMsgs: 0 })).toThrow(/maxInflightMsgs/);
    expect(() => node(s, { applied: -1 })).toThrow(/applied/);
  });

  it('status exposes progress only on the leader', () => {
    const net = Network.create(['a', 'b']);
    net.campaign('a');
    expect([...net.status('a').progress.keys()]).toEqual(['a', 'b']);
    expect(net.status('a').progress.get('b')).toMatchObject({
      match: 2,
      next: 3,
      state: 'replicate',
      isLearner: false,
      recentActive: true,
    });
    expect(net.status('b').progress.size).toBe(0);
    expect(net.status('b').confState).toEqual({ voters: ['a', 'b'], learners: [] });
  });

  it('a node joining with empty storage waits for the leader instead of campaigning', () => {
    const n = node(new MemoryStorage());
    for (let i = 0; i < 100; i++) n.tick();
    expect(n.status().softState.role).toBe(Role.Follower);
    expect(n.status().hardState.term).toBe(0);
    expect(n.hasReady()).toBe(false);
  });
});
