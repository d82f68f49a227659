import { describe, expect, it } from 'vitest';
import { SeededRng } from './rng';
import { ProposalDroppedError } from './storage';
import { bytes, Network, text } from './testing/network';
import { ConfChangeType, Role } from './types';

/**
 * Randomized fault injection with safety checks after every step:
 *  - election safety: at most one leader per term, ever;
 *  - state machine safety: every node applies the same entry at each index;
 * and liveness once the faults stop.
 */
function runChaos(seed: number, steps: number, withMembership: boolean, disorder = false): void {
  const rng = new SeededRng(seed);
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const net = Network.create(ids, { seed, config: { maxSizePerMsg: 512, maxInflightMsgs: 4 } });
  const leaderOfTerm = new Map<number, string>();
  const appliedAt = new Map<number, string>();
  const checked = new Map<string, number>();
  if (disorder)
    net.disorder = { rng: new SeededRng(seed * 7919), reorder: true, duplicatePercent: 5 };
  let lossy = 0;
  net.drop(() => lossy > 0 && rng.next() < lossy);
  let proposals = 0;

  const check = () => {
    for (const id of net.ids()) {
      if (!net.isUp(id)) continue;
      const s = net.status(id);
      if (s.softState.role === Role.Leader) {
        const prev = leaderOfTerm.get(s.hardState.term);
        if (prev !== undefined) expect(prev, `two leaders in term ${s.hardState.term}`).toBe(id);
        leaderOfTerm.set(s.hardState.term, id);
      }
      const entries = net.state.get(id)!.entries;
      for (let i = checked.get(id) ?? 0; i < entries.length; i++) {
        const e = entries[i]!;
        const key = `${e.term}:${e.type}:${text(e.data)}`;
        const prev = appliedAt.get(e.index);
        if (prev !== undefined) expect(key, `${id} diverged at ${e.index}`).toBe(prev);
        appliedAt.set(e.index, key);
      }
      checked.set(id, entries.length);
    }
  };

  const pick = <T>(xs: T[]): T => xs[rng.intn(xs.length)]!;
  for (let step = 0; step < steps; step++) {
    const r = rng.intn(100);
    const id = pick(net.ids());
    try {
      if (r < 40) {
        net.tickAll(1);
      } else if (r < 65) {
        if (net.isUp(id)) net.propose(id, `p${proposals++}`);
      } else if (r < 70) {
        net.isolate(id);
      } else if (r < 74) {
        net.cut(id, pick(ids));
      } else if (r < 80) {
        net.heal();
        net.drop(() => lossy > 0 && rng.next() < lossy);
      } else if (r < 84) {
        lossy = pick([0, 0, 0.1, 0.3]);
      } else if (r < 87) {
        if (net.ids().filter((x) => net.isUp(x)).length > 3) net.crash(id);
      } else if (r < 90) {
        if (!net.isUp(id)) net.restart(id);
      } else if (r < 93) {
        const st = net.state.get(id)!;
        const snapIndex = net.storages.get(id)!.snapshot().metadata.index;
        if (st.index > snapIndex) net.compact(id);
      } else if (r < 96) {
        const leader = net.leader();
        if (leader) {
          net.node(leader).transferLeader(pick(ids));
          net.stabilize();
        }
      } else if (withMembership) {
        const leader = net.leader();
        if (leader) {
          const target = pick(ids);
          const type = pick([ConfChangeType.AddLearner, ConfChangeType.AddVoter]);
          net.node(leader).proposeConfChange({ type, nodeId: target, context: new Uint8Array() });
          net.stabilize();
        }
      }
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
    }
    check();
  }

  // Faults stop: everything must converge. Restore every member as a voter first.
  net.heal();
  lossy = 0;
  net.disorder = undefined;
  for (const id of ids) if (!net.isUp(id)) net.restart(id);
  net.tickAll(60);
  if (withMembership) {
    for (const target of ids) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const leader = net.leader();
        if (!leader) {
          net.tickAll(5);
          continue;
        }
        if (net.status(leader).confState.voters.includes(target)) break;
        try {
          net.node(leader).proposeConfChange({
            type: ConfChangeType.AddVoter,
            nodeId: target,
            context: new Uint8Array(),
          });
        } catch (e) {
          if (!(e instanceof ProposalDroppedError)) throw e;
        }
        net.tickAll(5);
      }
    }
  }
  const leader = net.leader();
  expect(leader, `seed ${seed}: no leader after healing`).toBeDefined();
  net.propose(leader!, 'final');
  net.tickAll(10);
  check();
  const want = net.data(leader!);
  expect(want.at(-1)).toBe('final');
  for (const id of ids) expect(net.data(id), `seed ${seed}: ${id} differs`).toEqual(want);
}

describe('chaos', () => {
  it('keeps election and state machine safety under partitions, loss, crashes and compaction', () => {
    for (let seed = 1; seed <= 25; seed++) runChaos(seed, 400, false);
  });

  it('stays safe with membership changes mixed in', () => {
    for (let seed = 100; seed <= 115; seed++) runChaos(seed, 400, true);
  });

  it('stays safe when messages are reordered and duplicated', () => {
    for (let seed = 200; seed <= 215; seed++) runChaos(seed, 400, seed % 2 === 0, true);
  });

  it('proposals survive in order when nothing fails', () => {
    const net = Network.create(['a', 'b', 'c']);
    net.campaign('a');
    for (let i = 0; i < 100; i++) net.node(i % 2 ? 'a' : 'b').propose(bytes(`v${i}`));
    net.stabilize();
    expect(net.data('c')).toHaveLength(100);
  });
});
