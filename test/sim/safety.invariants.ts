import { type Storage } from '@shoal/raft/core/storage';
import { type Entry, type NodeId } from '@shoal/raft/core/types';
import { hashBytes } from './trace.hash';

/** A safety property failed. The message says which, where, and with what evidence. */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** What the checker may look at of a live node. `storage` holds every persisted entry. */
export interface NodeView {
  id: NodeId;
  term: number;
  isLeader: boolean;
  storage: Storage;
}

interface Committed {
  term: number;
  hash: number;
  /** Who applied it first, for the error message. */
  by: NodeId;
  /**
   * No leader of a term above this can have been elected before the entry was committed, so
   * every such leader must hold it (leader completeness). The largest term seen anywhere when
   * the entry was first applied: the commit happened in that term or earlier.
   */
  termBound: number;
}

const dataHashes = new WeakMap<Uint8Array, number>();

export function entryHash(e: Entry): number {
  let h = dataHashes.get(e.data);
  if (h === undefined) {
    h = (hashBytes(e.data) ^ (e.type * 0x9e3779b1)) >>> 0;
    dataHashes.set(e.data, h);
  }
  return h;
}

/**
 * The Raft safety properties (Raft paper, Figure 3), checked against the simulated cluster as
 * it runs. Log matching and state machine safety are checked incrementally at the moment an
 * entry is persisted or applied — the only moments they can become false — plus a periodic
 * brute-force cross-check of all logs that does not trust the incremental bookkeeping.
 */
export class SafetyInvariants {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** `${index}/${term}` → the term before it and the entry's data, as first persisted. */
  private readonly entryByIndexTerm = new Map<
    string,
    { prevTerm: number; hash: number; by: NodeId }
  >();
  private readonly committed: (Committed | undefined)[] = [];
  /** appliedIndex → state-machine hash, from whichever node reached it first. */
  private readonly stateAt = new Map<number, { hash: string; by: NodeId }>();
  private maxTerm = 0;
  committedCount = 0;
  leadersElected = 0;

  get highestTerm(): number {
    return this.maxTerm;
  }

  /** Election safety and, for newly elected leaders, leader completeness. Every step. */
  checkStep(nodes: NodeView[]): void {
    for (const n of nodes) {
      if (n.term > this.maxTerm) this.maxTerm = n.term;
      if (!n.isLeader) continue;
      const prior = this.leaderOfTerm.get(n.term);
      if (prior === undefined) {
        this.leaderOfTerm.set(n.term, n.id);
        this.leadersElected++;
        this.checkLeaderCompleteness(n);
      } else if (prior !== n.id) {
        throw new InvariantViolation(
          `election safety: two leaders in term ${n.term}: ${prior} and ${n.id}`,
        );
      }
    }
  }

  private checkLeaderCompleteness(leader: NodeView): void {
    const s = leader.storage;
    const first = s.firstIndex();
    const last = s.lastIndex();
    for (let i = 1; i < this.committed.length; i++) {
      const c = this.committed[i];
      if (!c || c.termBound >= leader.term) continue;
      const where = `entry ${i} (term ${c.term}, committed — applied by ${c.by})`;
      if (i < first - 1) continue; // inside the leader's snapshot
      if (i > last) {
        throw new InvariantViolation(
          `leader completeness: ${leader.id} became leader of term ${leader.term} with log ending at ${last}, missing ${where}`,
        );
      }
      const term = s.term(i);
      const hash = i >= first ? entryHash(s.entries(i, i + 1, Infinity)[0]) : c.hash;
      if (term !== c.term || hash !== c.hash) {
        throw new InvariantViolation(
          `leader completeness: ${leader.id} became leader of term ${leader.term} holding term ${term} at index ${i} instead of ${where}`,
        );
      }
    }
  }

  /**
   * Log matching, incrementally: an (index, term) pair names one entry — the same data and
   * the same predecessor term — for the whole run. By induction that makes any two logs that
   * share an (index, term) identical up to it. Call after the entries are in `storage`.
   */
  onPersisted(node: NodeId, storage: Storage, entries: readonly Entry[]): void {
    const first = storage.firstIndex();
    for (const e of entries) {
      if (e.index < first) continue; // skipped by append: already inside the snapshot
      const prevTerm = storage.term(e.index - 1);
      const key = `${e.index}/${e.term}`;
      const hash = entryHash(e);
      const prior = this.entryByIndexTerm.get(key);
      if (!prior) {
        this.entryByIndexTerm.set(key, { prevTerm, hash, by: node });
      } else if (prior.prevTerm !== prevTerm || prior.hash !== hash) {
        throw new InvariantViolation(
          `log matching: entry ${e.index} of term ${e.term} on ${node} (prev term ${prevTerm}, data #${hash.toString(16)}) ` +
            `differs from the one on ${prior.by} (prev term ${prior.prevTerm}, data #${prior.hash.toString(16)})`,
        );
      }
    }
  }

  /** State machine safety: one entry per index, whoever applies it. */
  onApplied(node: NodeId, e: Entry): void {
    const hash = entryHash(e);
    const c = this.committed[e.index];
    if (!c) {
      this.committed[e.index] = { term: e.term, hash, by: node, termBound: this.maxTerm };
      this.committedCount++;
    } else if (c.term !== e.term || c.hash !== hash) {
      throw new InvariantViolation(
        `state machine safety: ${node} applied term ${e.term} #${hash.toString(16)} at index ${e.index}, ` +
          `but ${c.by} applied term ${c.term} #${c.hash.toString(16)} there`,
      );
    }
  }

  /**
   * A snapshot (installed or restored) vouches for everything up to its index: its term must
   * match what was committed there.
   */
  onSnapshotInstalled(node: NodeId, index: number, term: number): void {
    const c = this.committed[index];
    if (c && c.term !== term) {
      throw new InvariantViolation(
        `state machine safety: ${node} installed a snapshot at index ${index} of term ${term}, but ${c.by} applied term ${c.term} there`,
      );
    }
  }

  /** Replicas that applied the same prefix must hold the same state. */
  onStateAt(node: NodeId, appliedIndex: number, stateHash: string): void {
    const prior = this.stateAt.get(appliedIndex);
    if (!prior) this.stateAt.set(appliedIndex, { hash: stateHash, by: node });
    else if (prior.hash !== stateHash) {
      throw new InvariantViolation(
        `state machine safety: after applying up to ${appliedIndex}, ${node} has state ${stateHash} but ${prior.by} had ${prior.hash}`,
      );
    }
  }

  /**
   * The log matching property verbatim, over the entries each node still holds: `changed`
   * against every other node. A log only changes when its node persists, so checking just the
   * nodes that persisted during a step is the same as checking every pair after every step.
   */
  crossCheckLogs(changed: NodeView[], all: NodeView[]): void {
    for (const x of changed) {
      for (const y of all) if (y.id !== x.id) crossCheckPair(x, y);
    }
  }
}

/** Terms of [lo, hi] and data hashes where the entry is present (the sentinel has no data). */
function logSlice(s: Storage, lo: number, hi: number): { terms: number[]; hashes: number[] } {
  const terms: number[] = [];
  const hashes: number[] = [];
  const first = s.firstIndex();
  let i = lo;
  if (i < first) {
    terms.push(s.term(i));
    hashes.push(-1);
    i++;
  }
  if (i <= hi) {
    for (const e of s.entries(i, hi + 1, Infinity)) {
      terms.push(e.term);
      hashes.push(entryHash(e));
    }
  }
  return { terms, hashes };
}

function crossCheckPair(x: NodeView, y: NodeView): void {
  const sx = x.storage;
  const sy = y.storage;
  // term(first - 1) still answers (the snapshot's term), so start there.
  const lo = Math.max(sx.firstIndex() - 1, sy.firstIndex() - 1, 1);
  const hi = Math.min(sx.lastIndex(), sy.lastIndex());
  if (hi < lo) return;
  const a = logSlice(sx, lo, hi);
  const b = logSlice(sy, lo, hi);
  let agree = -1;
  for (let k = hi - lo; k >= 0; k--) {
    if (a.terms[k] === b.terms[k]) {
      agree = k;
      break;
    }
  }
  for (let k = 0; k < agree; k++) {
    const sameData = a.hashes[k] < 0 || b.hashes[k] < 0 || a.hashes[k] === b.hashes[k];
    if (a.terms[k] !== b.terms[k] || !sameData) {
      throw new InvariantViolation(
        `log matching: ${x.id} and ${y.id} both hold entry ${lo + agree} of term ${a.terms[agree]}, ` +
          `but differ at ${lo + k} (terms ${a.terms[k]} / ${b.terms[k]}${sameData ? '' : ', different data'})`,
      );
    }
  }
  if (
    agree >= 0 &&
    a.hashes[agree] >= 0 &&
    b.hashes[agree] >= 0 &&
    a.hashes[agree] !== b.hashes[agree]
  ) {
    throw new InvariantViolation(
      `log matching: ${x.id} and ${y.id} hold different entries at ${lo + agree} with the same term ${a.terms[agree]}`,
    );
  }
}
