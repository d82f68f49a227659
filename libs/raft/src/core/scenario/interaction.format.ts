/**
 * How the interaction scripts print Raft data. Every line is compact and one-per-fact so a
 * golden diff points at exactly what changed, and an auditor can check each line against the
 * paper without decoding anything.
 *
 * Conventions (also explained in ../testdata/README.md):
 *  - an entry is `term/index Type data`, e.g. `2/5 EntryNormal "x"`; conf-change entries show
 *    the change as `v4` (add voter 4), `l4` (add/demote learner 4) or `r4` (remove 4);
 *  - `Log:t/i` in a message is the (term, index) of the entry the message refers to: the
 *    entry preceding the appended ones in MsgApp, the candidate's last entry in MsgVote.
 */
import { decodeConfChange } from '../conf-change.codec';
import { type RaftStatus } from '../raft-node';
import { isTransferContext } from '../raft-state';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  NONE,
  type Ready,
  type Snapshot,
} from '../types';

const utf8 = new TextDecoder();

export function formatBytes(b: Uint8Array): string {
  return JSON.stringify(utf8.decode(b));
}

export function formatConfChange(cc: ConfChange): string {
  const kind = { [ConfChangeType.AddVoter]: 'v', [ConfChangeType.AddLearner]: 'l' };
  return `${cc.type === ConfChangeType.RemoveNode ? 'r' : kind[cc.type]}${cc.nodeId}`;
}

export function formatEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    let body: string;
    try {
      body = formatConfChange(decodeConfChange(e.data));
    } catch {
      body = `<undecodable ${e.data.byteLength} bytes>`;
    }
    return `${e.term}/${e.index} EntryConfChange ${body}`;
  }
  return `${e.term}/${e.index} EntryNormal ${formatBytes(e.data)}`;
}

export function formatEntries(ents: readonly Entry[]): string {
  return `[${ents.map(formatEntry).join(', ')}]`;
}

export function formatIds(ids: readonly string[]): string {
  return `(${ids.join(',')})`;
}

export function formatConfState(cs: ConfState): string {
  return `Voters:${formatIds(cs.voters)} Learners:${formatIds(cs.learners)}`;
}

export function formatSnapshot(s: Snapshot): string {
  const { index, term, confState } = s.metadata;
  return `Index:${index} Term:${term} ${formatConfState(confState)}`;
}

/** One message on one line: `from->to Type Term:n ...`, with only the fields the type uses. */
export function formatMessage(m: Message): string {
  const parts = [`${m.from}->${m.to}`, `Msg${MessageType[m.type] ?? m.type}`, `Term:${m.term}`];
  const ctx = m.context && m.context.byteLength > 0 ? m.context : undefined;
  switch (m.type) {
    case MessageType.App:
      parts.push(`Log:${m.logTerm}/${m.index}`, `Commit:${m.commit}`);
      if (m.entries.length > 0) parts.push(`Entries:${formatEntries(m.entries)}`);
      break;
    case MessageType.AppResp:
      parts.push(`Index:${m.index}`);
      if (m.reject) parts.push(`Rejected Hint:${m.logTerm}/${m.rejectHint}`);
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      parts.push(`Log:${m.logTerm}/${m.index}`);
      // A leader-transfer campaign overrides the leader lease; worth seeing.
      if (isTransferContext(m.context)) parts.push('Transfer');
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      parts.push(m.reject ? 'Rejected' : 'Granted');
      break;
    case MessageType.Heartbeat:
      parts.push(`Commit:${m.commit}`);
      if (ctx) parts.push(`Ctx:${formatBytes(ctx)}`);
      break;
    case MessageType.HeartbeatResp:
      if (ctx) parts.push(`Ctx:${formatBytes(ctx)}`);
      break;
    case MessageType.Snap:
      if (m.snapshot) parts.push(`Snapshot:{${formatSnapshot(m.snapshot)}}`);
      break;
    case MessageType.Prop:
      parts.push(`Entries:${formatEntries(m.entries)}`);
      break;
    case MessageType.ReadIndex:
      if (ctx) parts.push(`Ctx:${formatBytes(ctx)}`);
      break;
    case MessageType.ReadIndexResp:
      parts.push(`Index:${m.index}`);
      if (ctx) parts.push(`Ctx:${formatBytes(ctx)}`);
      break;
    default:
      // TimeoutNow, TransferLeader: the type and term say everything.
      break;
  }
  return parts.join(' ');
}

/**
 * The parts of a Ready that concern persistence and the soft/hard state, in the order the
 * driver handles them. Messages, applied entries and read states are printed by the caller
 * as it acts on them.
 */
export function formatReadyHead(rd: Ready): string[] {
  const out: string[] = [];
  if (rd.softState) {
    const lead = rd.softState.lead === NONE ? '-' : rd.softState.lead;
    out.push(`State:${rd.softState.role} Lead:${lead}`);
  }
  if (rd.hardState) {
    const { term, vote, commit } = rd.hardState;
    out.push(`HardState Term:${term} Vote:${vote === NONE ? '-' : vote} Commit:${commit}`);
  }
  if (rd.snapshot) out.push(`Persist snapshot ${formatSnapshot(rd.snapshot)}`);
  for (const e of rd.entries) out.push(`Persist ${formatEntry(e)}`);
  return out;
}

/** The `status` command: one summary line, then (on a leader) one line per member. */
export function formatStatus(s: RaftStatus): string[] {
  const { term, vote, commit } = s.hardState;
  const lead = s.softState.lead === NONE ? '-' : s.softState.lead;
  const out = [
    `${s.id}: ${s.softState.role} Term:${term} Vote:${vote === NONE ? '-' : vote} ` +
      `Lead:${lead} Commit:${commit} Applied:${s.applied} ${formatConfState(s.confState)}`,
  ];
  if (s.leadTransferee !== NONE) out.push(`  transferring leadership to ${s.leadTransferee}`);
  const ids = [...s.progress.keys()].sort(compareIds);
  for (const id of ids) {
    const p = s.progress.get(id)!;
    const flags = [p.state, p.isLearner ? 'learner' : 'voter'];
    if (p.recentActive) flags.push('active');
    out.push(`  ${id}: match=${p.match} next=${p.next} ${flags.join(' ')}`);
  }
  return out;
}

/** Logger fields as `k=v`, values in a stable, readable form. */
export function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    let s: string;
    if (Array.isArray(v)) s = formatIds(v.map(String));
    else if (typeof v === 'string') s = v === '' ? '-' : v;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) s = String(v);
    else s = JSON.stringify(v);
    parts.push(`${k}=${s}`);
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

/** Node ids are strings; order "2" before "10" so larger clusters print naturally. */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
