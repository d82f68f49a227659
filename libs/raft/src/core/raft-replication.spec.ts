import { describe, expect, it } from 'vitest';
import { entrySize } from './entry-size';
import { MemoryStorage } from './memory-storage';
import { RaftNode } from './raft-node';
import { SeededRng } from './rng';
import { ProposalDroppedError, SnapshotTemporarilyUnavailableError } from './storage';
import { bytes, Network } from './testing/network';
import {
  emptyMessage,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  Role,
  type Snapshot,
} from './types';

const ids = ['a', 'b', 'c'];

function msg(type: MessageType, from: NodeId, to: NodeId, fields: Partial<Message> = {}): Message {
  return { ...emptyMessage(type, to, from), ...fields };
}

function apps(net: Network, to?: NodeId): Message[] {
  return net.sent.filter((m) => m.type === MessageType.App && (to === undefined || m.to === to));
}

describe('commit rules', () => {
  it('figure 8: an old-term entry on a majority is not committed until an entry of the current term is', () => {
    // a holds entry 2 from term 2 (never committed); a wins term 4.
    const storage = new MemoryStorage();
    RaftNode.bootstrapStorage(storage, ids);
    storage.append([{ index: 2, term: 2, type: EntryType.Normal, data: bytes('old') }]);
    storage.setHardState({ term: 3, vote: '', commit: 1 });
    const a = new RaftNode({ id: 'a', storage, rng: new SeededRng(1), preVote: false });
    a.campaign();
    a.step(msg(MessageType.VoteResp, 'b', 'a', { term: 4 }));
    expect(a.status().softState.role).toBe(Role.Leader);
    const rd = a.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[3, 4]]);
    storage.append(rd.entries);
    a.advance();

    // b acknowledges entry 2: a and b form a majority holding it, yet it must not commit,
    // since a future leader elected without it could still overwrite it (Raft §5.4.2).
    a.step(msg(MessageType.AppResp, 'b', 'a', { term: 4, index: 2 }));
    expect(a.status().hardState.commit).toBe(1);
    a.step(msg(MessageType.AppResp, 'c', 'a', { term: 4, index: 2 }));
    expect(a.status().hardState.commit).toBe(1);

    // Once the term-4 entry is on a majority, it and everything before it commit.
    a.step(msg(MessageType.AppResp, 'b', 'a', { term: 4, index: 3 }));
    expect(a.status().hardState.commit).toBe(3);
    const committed = a.ready().committedEntries.map((e) => e.index);
    expect(committed).toEqual([2, 3]);
  });

  it('learners do not count toward the commit quorum', () => {
    const net = Network.create(['a', 'b'], { learners: ['l'] });
    net.campaign('a');
    net.isolate('b');
    net.propose('a', 'x');
    expect(net.data('a')).toEqual([]);
    expect(net.data('l')).toEqual([]);
    expect(net.log('l').some((e) => e.data.byteLength > 0)).toBe(true);
    net.heal();
    net.tickAll(2);
    for (const id of ['a', 'b', 'l']) expect(net.data(id)).toEqual(['x']);
  });
});

describe('log replication', () => {
  it('followers forward proposals to the leader', () => {
    const net = Network.create(ids);
    net.campaign('a');
    expect(net.propose('b', 'via-b')).toBeNull();
    expect(net.propose('a', 'on-a')).toEqual({ index: 4, term: 2 });
    for (const id of ids) expect(net.data(id)).toEqual(['via-b', 'on-a']);
  });

  it('throws ProposalDroppedError without a leader', () => {
    const net = Network.create(ids);
    expect(() => net.node('a').propose(bytes('x'))).toThrow(ProposalDroppedError);
  });

  it('repairs a divergent follower, discarding its uncommitted entries', () => {
    const net = Network.create(ids, { seed: 11 });
    net.campaign('a');
    net.propose('a', 'one');
    // a is cut off and keeps accepting proposals it can never commit.
    net.isolate('a');
    for (let i = 0; i < 20; i++) net.node('a').propose(bytes(`lost-${i}`));
    // b and c wait out a's lease, then elect a new leader.
    net.tickAll(30);
    const leader = net.leader()!;
    expect(['b', 'c']).toContain(leader);
    for (let i = 0; i < 5; i++) net.propose(leader, `kept-${i}`);
    net.heal();
    net.tickAll(30);
    expect(net.leader()).toBe(leader);
    const want = ['one', 'kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4'];
    for (const id of ids) expect(net.data(id)).toEqual(want);
    const logOf = (id: string) => net.log(id).map((e) => [e.index, e.term]);
    expect(logOf('a')).toEqual(logOf(leader));
    expect(logOf('b')).toEqual(logOf('c'));
  });

  it('fast log repair skips a whole divergent term per round trip', () => {
    const net = Network.create(ids, { seed: 5 });
    net.campaign('a');
    net.isolate('a');
    for (let i = 0; i < 50; i++) net.node('a').propose(bytes(`stale-${i}`));
    net.stabilize();
    net.tickAll(30);
    const leader = net.leader()!;
    const other = leader === 'b' ? 'c' : 'b';
    for (let i = 0; i < 20; i++) net.propose(leader, `new-${i}`);
    // A fresh leader probes `a` at its last index, deep inside a's divergent term-2 suffix.
    net.node(leader).transferLeader(other);
    net.stabilize();
    expect(net.leader()).toBe(other);
    net.heal();
    const before = net.sent.length;
    net.tickAll(3);
    const rejections = net.sent
      .slice(before)
      .filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 'a');
    // Entry-by-entry backtracking would take ~20 round trips.
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(net.data('a')).toEqual(net.data(other));
    expect(net.data('a')).toHaveLength(20);
  });

  it('never sends a MsgApp bigger than maxSizePerMsg unless it holds a single entry', () => {
    const maxSizePerMsg = 1000;
    const net = Network.create(ids, { config: { maxSizePerMsg } });
    net.campaign('a');
    net.isolate('c');
    for (let i = 0; i < 40; i++) net.propose('a', 'x'.repeat(100 + i));
    net.propose('a', 'y'.repeat(2500)); // bigger than a message on its own
    net.heal();
    net.tickAll(5);
    expect(net.data('c')).toHaveLength(41);
    const toC = apps(net, 'c').filter((m) => m.entries.length > 0);
    expect(toC.length).toBeGreaterThan(5);
    for (const m of apps(net)) {
      const size = m.entries.reduce((n, e) => n + entrySize(e), 0);
      if (m.entries.length > 1) expect(size).toBeLessThanOrEqual(maxSizePerMsg);
    }
    expect(toC.some((m) => m.entries.length === 1 && m.entries[0]!.data.byteLength === 2500)).toBe(
      true,
    );
    // Batching does happen.
    expect(toC.some((m) => m.entries.length > 1)).toBe(true);
  });

  it('pipelines at most maxInflightMsgs unacknowledged MsgApps per follower', () => {
    const net = Network.create(ids, { config: { maxInflightMsgs: 3 } });
    net.campaign('a');
    net.propose('a', 'warm-up'); // b and c are now in Replicate state
    const restore = net.drop((m) => m.type === MessageType.AppResp && m.from === 'b');
    const before = apps(net, 'b').length;
    for (let i = 0; i < 10; i++) net.propose('a', `p${i}`);
    const sent = apps(net, 'b')
      .slice(before)
      .filter((m) => m.entries.length > 0);
    expect(sent).toHaveLength(3);
    // c keeps the quorum going meanwhile.
    expect(net.data('a')).toHaveLength(11);
    restore();
    net.tickAll(3);
    expect(net.data('b')).toHaveLength(11);
  });

  it('recovers a follower whose pipelined messages were lost', () => {
    const net = Network.create(ids, { config: { maxInflightMsgs: 2 } });
    net.campaign('a');
    net.propose('a', 'warm-up');
    const restore = net.drop((m) => m.type === MessageType.App && m.to === 'b');
    for (let i = 0; i < 6; i++) net.propose('a', `p${i}`);
    restore();
    net.tickAll(5);
    expect(net.data('b')).toEqual(net.data('a'));
  });
});

describe('proposal limits', () => {
  it('refuses an entry bigger than maxEntryBytes', () => {
    const net = Network.create(ids, { config: { maxEntryBytes: 100 } });
    net.campaign('a');
    expect(() => net.node('a').propose(new Uint8Array(101))).toThrow(/exceeds maxEntryBytes/);
    expect(() => net.node('b').propose(new Uint8Array(101))).toThrow(ProposalDroppedError);
    expect(net.node('a').propose(new Uint8Array(100))).not.toBeNull();
  });

  it('defaults keep every message far below gRPC 4 MiB', () => {
    const net = Network.create(ids);
    net.campaign('a');
    expect(() => net.node('a').propose(new Uint8Array(1024 * 1024 + 1))).toThrow(
      ProposalDroppedError,
    );
    net.isolate('c');
    for (let i = 0; i < 6; i++) net.node('a').propose(new Uint8Array(1024 * 1024));
    net.stabilize();
    net.heal();
    net.tickAll(3);
    for (const m of net.sent) {
      const size = m.entries.reduce((n, e) => n + entrySize(e), 0);
      expect(size).toBeLessThan(2 * 1024 * 1024 + 64);
    }
    expect(net.data('c')).toHaveLength(6);
  });

  it('refuses proposals while too much data is uncommitted, and accepts again after commit', () => {
    const net = Network.create(ids, { config: { maxUncommittedBytes: 1000 } });
    net.campaign('a');
    net.isolate('b');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.node('a').propose(new Uint8Array(100));
    expect(() => net.node('a').propose(new Uint8Array(1))).toThrow(/uncommitted/);
    net.heal();
    net.tickAll(2);
    expect(net.data('b')).toHaveLength(10);
    expect(net.node('a').propose(new Uint8Array(100))).not.toBeNull();
  });
});

class FlakySnapshotStorage extends MemoryStorage {
  failures = 0;
  override snapshot(): Snapshot {
    if (this.failures > 0) {
      this.failures--;
      throw new SnapshotTemporarilyUnavailableError();
    }
    return super.snapshot();
  }
}

describe('snapshots', () => {
  it('catches up a far-behind follower with a snapshot after compaction', () => {
    const net = Network.create(ids, { seed: 2 });
    net.campaign('a');
    net.crash('c');
    for (let i = 0; i < 30; i++) net.propose('a', `v${i}`);
    const idx = net.compact('a');
    expect(net.storages.get('a')!.firstIndex()).toBe(idx + 1);
    net.restart('c');
    net.tickAll(5);
    const snaps = net.sent.filter((m) => m.type === MessageType.Snap && m.to === 'c');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.snapshot!.metadata.index).toBe(idx);
    expect(net.readies.get('c')!.some((rd) => rd.snapshot?.metadata.index === idx)).toBe(true);
    expect(net.data('c')).toEqual(net.data('a'));
    // Replication continues from the log afterwards.
    net.propose('a', 'after');
    expect(net.data('c').at(-1)).toBe('after');
    expect(net.status('a').progress.get('c')!.state).toBe('replicate');
    expect(net.status('c').confState).toEqual({ voters: ids, learners: [] });
  });

  it('retries when the snapshot is temporarily unavailable', () => {
    const net = new Network({ seed: 4 });
    const storages = ids.map(() => new FlakySnapshotStorage());
    ids.forEach((id, i) => {
      RaftNode.bootstrapStorage(storages[i]!, ids);
      net.addNode(id, { storage: storages[i]! });
    });
    net.campaign('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `v${i}`);
    net.compact('a');
    storages[0]!.failures = 3;
    net.heal();
    net.tickAll(10);
    expect(storages[0]!.failures).toBe(0);
    expect(net.data('c')).toEqual(net.data('a'));
  });

  it('a failed snapshot send is retried', () => {
    const net = Network.create(ids, { seed: 4 });
    net.campaign('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `v${i}`);
    net.compact('a');
    net.heal();
    let dropped = 0;
    const restore = net.drop((m) => m.type === MessageType.Snap && dropped++ === 0);
    net.tickAll(10);
    restore();
    expect(net.sent.filter((m) => m.type === MessageType.Snap)).toHaveLength(2);
    expect(net.data('c')).toEqual(net.data('a'));
  });

  it('reportUnreachable sends a replicating follower back to probing', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.propose('a', 'x');
    expect(net.status('a').progress.get('b')!.state).toBe('replicate');
    net.node('a').reportUnreachable('b');
    expect(net.status('a').progress.get('b')!.state).toBe('probe');
    net.tickAll(2);
    expect(net.status('a').progress.get('b')!.state).toBe('replicate');
  });
});
