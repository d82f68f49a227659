import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from './storage';
import { bytes, Network, text } from './testing/network';
import { MessageType } from './types';

const ids = ['a', 'b', 'c'];

function reads(net: Network, id: string): { index: number; ctx: string }[] {
  return net.readStates.get(id)!.map((rs) => ({ index: rs.index, ctx: text(rs.requestCtx) }));
}

describe('ReadIndex', () => {
  it('the leader answers after a quorum acknowledges a heartbeat carrying the context', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.propose('a', 'x');
    const commit = net.status('a').hardState.commit;
    const hbs = net.sent.length;
    net.node('a').readIndex(bytes('r1'));
    // Nothing before the heartbeat round completes.
    net.process('a');
    expect(reads(net, 'a')).toEqual([]);
    net.stabilize();
    const round = net.sent.slice(hbs);
    expect(round.some((m) => m.type === MessageType.Heartbeat && text(m.context!) === 'r1')).toBe(
      true,
    );
    expect(reads(net, 'a')).toEqual([{ index: commit, ctx: 'r1' }]);
  });

  it('the leader does not answer without a quorum', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.isolate('b');
    net.isolate('c');
    net.node('a').readIndex(bytes('r1'));
    net.stabilize();
    net.tickAll(3); // heartbeats keep retrying the context
    expect(reads(net, 'a')).toEqual([]);
    net.heal();
    net.tickAll(1);
    expect(reads(net, 'a').map((r) => r.ctx)).toEqual(['r1']);
  });

  it('one acknowledged round answers every older pending request', () => {
    const net = Network.create(ids);
    net.campaign('a');
    const restore = net.drop((m) => m.type === MessageType.HeartbeatResp);
    net.node('a').readIndex(bytes('r1'));
    net.node('a').readIndex(bytes('r2'));
    net.stabilize();
    expect(reads(net, 'a')).toEqual([]);
    restore();
    net.tickAll(1);
    expect(reads(net, 'a').map((r) => r.ctx)).toEqual(['r1', 'r2']);
  });

  it('a follower forwards the request and gets the ReadState from the leader', () => {
    const net = Network.create(ids);
    net.campaign('a');
    net.propose('a', 'x');
    net.node('b').readIndex(bytes('via-b'));
    net.stabilize();
    expect(reads(net, 'b')).toEqual([{ index: net.status('a').hardState.commit, ctx: 'via-b' }]);
    expect(reads(net, 'a')).toEqual([]);
    expect(net.sent.some((m) => m.type === MessageType.ReadIndexResp && m.to === 'b')).toBe(true);
  });

  it('a new leader queues reads until it has committed an entry of its term', () => {
    const net = Network.create(ids, { config: { preVote: false } });
    const restore = net.drop((m) => m.type === MessageType.App);
    net.campaign('a');
    expect(net.status('a').softState.role).toBe('leader');
    expect(net.status('a').hardState.commit).toBe(1);
    net.node('a').readIndex(bytes('early'));
    net.stabilize();
    net.tickAll(2);
    expect(reads(net, 'a')).toEqual([]);
    restore();
    net.tickAll(2);
    expect(net.status('a').hardState.commit).toBe(2);
    expect(reads(net, 'a')).toEqual([{ index: 2, ctx: 'early' }]);
  });

  describe('the same request asked again (its requester presumed it lost)', () => {
    it('while the first waits for its heartbeat round: no second round, one answer', () => {
      const net = Network.create(ids);
      net.campaign('a');
      net.propose('a', 'x');
      const restore = net.drop((m) => m.type === MessageType.HeartbeatResp);
      net.node('b').readIndex(bytes('r1'));
      net.stabilize();
      const before = net.sent.length;
      net.node('b').readIndex(bytes('r1'));
      net.stabilize();
      const again = net.sent.slice(before);
      expect(again.filter((m) => m.type === MessageType.ReadIndex)).toHaveLength(1);
      expect(again.filter((m) => m.type === MessageType.Heartbeat)).toEqual([]);
      restore();
      net.tickAll(1);
      expect(reads(net, 'b').map((r) => r.ctx)).toEqual(['r1']);
    });

    it('while a new leader waits for its first commit: queued once', () => {
      const net = Network.create(ids, { config: { preVote: false } });
      const restore = net.drop((m) => m.type === MessageType.App);
      net.campaign('a');
      net.node('a').readIndex(bytes('early'));
      net.node('a').readIndex(bytes('early'));
      net.stabilize();
      restore();
      const before = net.sent.length;
      net.tickAll(2);
      expect(reads(net, 'a')).toEqual([{ index: 2, ctx: 'early' }]);
      // One round for it once the term's entry committed: a heartbeat to each follower.
      const rounds = net.sent
        .slice(before)
        .filter(
          (m) => m.type === MessageType.Heartbeat && text(m.context ?? bytes('')) === 'early',
        );
      expect(rounds.map((m) => m.to).sort()).toEqual(['b', 'c']);
    });

    it('after it was answered (the answer was lost): answered again', () => {
      const net = Network.create(ids);
      net.campaign('a');
      net.propose('a', 'x');
      const restore = net.drop((m) => m.type === MessageType.ReadIndexResp);
      net.node('b').readIndex(bytes('r1'));
      net.stabilize();
      expect(reads(net, 'b')).toEqual([]);
      restore();
      net.node('b').readIndex(bytes('r1'));
      net.stabilize();
      expect(reads(net, 'b')).toEqual([{ index: net.status('a').hardState.commit, ctx: 'r1' }]);
    });
  });

  it('a single-voter cluster answers at once', () => {
    const net = Network.create(['solo']);
    net.campaign('solo');
    net.node('solo').readIndex(bytes('now'));
    const rd = net.node('solo').ready();
    expect(rd.readStates.map((r) => [r.index, text(r.requestCtx)])).toEqual([[2, 'now']]);
    expect(rd.messages).toEqual([]);
  });

  it('refuses without a known leader or with an empty context', () => {
    const net = Network.create(ids);
    expect(() => net.node('a').readIndex(bytes('x'))).toThrow(ProposalDroppedError);
    net.campaign('a');
    expect(() => net.node('a').readIndex(new Uint8Array(0))).toThrow(ProposalDroppedError);
  });
});
