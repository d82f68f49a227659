import path from 'node:path';
import { MemoryStorage } from '../core/memory-storage';
import { decodeConfChange, encodeConfChange } from '../core/conf-change.codec';
import {
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type NodeId,
  type Snapshot,
} from '../core/types';
import { SnapshotStore } from '../snapshot';
import { Wal } from '../wal';
import { type ResolvedDriverOptions } from './driver.options';
import { decodeSnapshotEnvelope, encodeSnapshotEnvelope } from './membership.codec';

export interface DurableState {
  storage: MemoryStorage;
  wal: Wal;
  snapshots: SnapshotStore;
  addresses: Map<NodeId, string>;
  applied: number;
  confState: ConfState;
}

/**
 * Rebuilds a node from its data dir: the newest valid snapshot restores the state machine and
 * the address book, and the WAL supplies the hard state and every entry after the snapshot.
 * A brand-new founding member instead writes the cluster's first snapshot (index 1, term 1,
 * the founding voters); every founder writes the same one, so they start in agreement.
 */
export async function openDurableState(o: ResolvedDriverOptions): Promise<DurableState> {
  // With a cipher, both the WAL and the snapshots are encrypted at rest under its key.
  const snapshots = new SnapshotStore(path.join(o.dataDir, 'snap'), {
    fsync: o.fsync,
    logger: o.logger,
    cipher: o.cipher,
  });
  const { wal, state } = await Wal.open(path.join(o.dataDir, 'wal'), {
    fsync: o.fsync,
    logger: o.logger,
    cipher: o.cipher,
  });
  const storage = new MemoryStorage();
  let snap = await snapshots.loadLatest();
  const fresh = !snap && state.entries.length === 0 && state.hardState.term === 0;

  if (fresh && o.bootstrap) {
    snap = await bootstrapSnapshot(o);
    await snapshots.save(snap);
    await wal.saveSnapshotMarker(snap.metadata);
  }

  const marker = state.snapshot?.index ?? 0;
  if (snap && snap.metadata.index < marker) {
    // The newest snapshot file failed its checksum and an older one was loaded, but the WAL
    // already dropped the entries between the two: starting would invent a hole in the log.
    throw new Error(
      `raft state in ${o.dataDir} is inconsistent: the WAL expects a snapshot at index ${marker} ` +
        `but the newest valid snapshot is at ${snap.metadata.index}`,
    );
  }
  if (!snap && marker > 0) {
    throw new Error(
      `raft state in ${o.dataDir} is inconsistent: the WAL expects a snapshot at index ${marker} but none is valid`,
    );
  }
  if (snap && snap.metadata.index > marker && !(fresh && o.bootstrap)) {
    // Crashed after saving a snapshot file but before its WAL marker: record it now, or the
    // WAL would refuse the entries that follow the snapshot as a gap.
    await wal.saveSnapshotMarker(snap.metadata);
  }

  let addresses = new Map<NodeId, string>();
  let applied = 0;
  let confState: ConfState = { voters: [], learners: [] };
  if (snap) {
    storage.applySnapshot(snap);
    const envelope = decodeSnapshotEnvelope(snap.data);
    addresses = envelope.addresses;
    await o.stateMachine.restore(envelope.app);
    applied = snap.metadata.index;
    confState = snap.metadata.confState;
  }

  for (const p of o.peers ?? []) if (!addresses.has(p.id)) addresses.set(p.id, p.address);

  const after = snap?.metadata.index ?? 0;
  const entries = state.entries.filter((e) => e.index > after);
  if (entries.length > 0 && entries[0]!.index !== after + 1) {
    throw new Error(
      `raft state in ${o.dataDir} has a gap: snapshot ends at ${after} but the WAL resumes at ${entries[0]!.index}`,
    );
  }
  // A snapshot received from the leader may be newer than the last hard state written.
  const hardState = { ...state.hardState };
  if (snap) {
    hardState.commit = Math.max(hardState.commit, snap.metadata.index);
    hardState.term = Math.max(hardState.term, snap.metadata.term);
  }
  let log = entries;
  if (o.forceNewCluster) {
    log = await forceNewCluster(o, wal, confState, entries, hardState);
  }
  storage.setHardState(hardState);
  if (log.length > 0) storage.append(log);
  // Membership changes in the WAL after the snapshot are re-applied as committed entries.
  return { storage, wal, snapshots, addresses, applied, confState };
}

async function bootstrapSnapshot(o: ResolvedDriverOptions): Promise<Snapshot> {
  const members = [...(o.bootstrap ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  const addresses = new Map(members.map((m) => [m.id, m.address]));
  const app = await o.stateMachine.snapshot();
  return {
    metadata: {
      index: 1,
      term: 1,
      confState: { voters: members.map((m) => m.id), learners: [] },
    },
    data: encodeSnapshotEnvelope(addresses, app),
  };
}

/**
 * Rewrites the recovered log for --force-new-cluster, as etcd does: the uncommitted tail is
 * dropped (it may never have reached a quorum), and RemoveNode entries for every other member
 * are appended in the current term and marked committed, then persisted. Applying them on
 * start leaves this node the only voter, holding every committed write.
 */
async function forceNewCluster(
  o: ResolvedDriverOptions,
  wal: Wal,
  snapshotConf: ConfState,
  entries: Entry[],
  hardState: HardState,
): Promise<Entry[]> {
  const committed = entries.filter((e) => e.index <= hardState.commit);
  const members = new Set([...snapshotConf.voters, ...snapshotConf.learners]);
  for (const e of committed) {
    if (e.type !== EntryType.ConfChange) continue;
    const cc = decodeConfChange(e.data);
    if (cc.type === ConfChangeType.RemoveNode) members.delete(cc.nodeId);
    else members.add(cc.nodeId);
  }
  if (!members.has(o.id)) {
    throw new Error(
      `cannot force a new cluster: ${o.id} is not a member of its recovered configuration`,
    );
  }
  const last = committed.length > 0 ? committed[committed.length - 1]!.index : hardState.commit;
  const removals: Entry[] = [...members]
    .filter((id) => id !== o.id)
    .sort()
    .map((id, i) => ({
      index: last + 1 + i,
      term: hardState.term,
      type: EntryType.ConfChange,
      data: encodeConfChange({
        type: ConfChangeType.RemoveNode,
        nodeId: id,
        context: new Uint8Array(0),
      }),
    }));
  hardState.commit = last + removals.length;
  // Appending at last+1 supersedes any uncommitted tail in the WAL.
  await wal.save(hardState, removals, true);
  o.logger.warn('forced a new cluster: removed every other member', {
    removed: removals.length,
    commit: hardState.commit,
  });
  return [...committed, ...removals];
}
