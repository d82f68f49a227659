import { type KvInput, type KvOutput } from './linearizability/kv.model';
import { hashString } from './trace.hash';

/** What a client's write puts into a Raft entry: the request id lets the proposer answer it. */
export interface KvCommand {
  rid: string;
  input: KvInput;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

/** Undefined for entries that are not client commands (a new leader's empty entry). */
export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  if (data.length === 0) return undefined;
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

export function decodeText(data: Uint8Array): string {
  return decoder.decode(data);
}

interface SnapshotData {
  pairs: [string, string][];
  sessions: [string, KvOutput][];
}

/**
 * The replicated object: a string map with put/get/cas, plus the index it has applied up to.
 * Deliberately tiny — the simulator is testing Raft, and everything interesting about the
 * state machine is that every replica must reach the same state by the same steps.
 *
 * It remembers each request id's result (client sessions, Raft thesis §6.3): a proposal
 * forwarded by a follower can be duplicated by the network and then sits in the log twice,
 * which is correct Raft behaviour, so exactly-once has to come from the state machine.
 */
export class KvStateMachine {
  private data = new Map<string, string>();
  private sessions = new Map<string, KvOutput>();
  appliedIndex = 0;
  /** Log entries that repeated an already applied request (not part of the state). */
  duplicates = 0;

  /** Applies a write; reads never go through the log (they use ReadIndex). */
  apply(index: number, cmd: KvCommand): KvOutput {
    if (index !== this.appliedIndex + 1) {
      throw new Error(`state machine applies index ${index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = index;
    const seen = this.sessions.get(cmd.rid);
    if (seen) {
      this.duplicates++;
      return seen;
    }
    const out = this.execute(cmd.input);
    this.sessions.set(cmd.rid, out);
    return out;
  }

  private execute(input: KvInput): KvOutput {
    switch (input.kind) {
      case 'put':
        this.data.set(input.key, input.value);
        return { kind: 'put' };
      case 'cas': {
        const ok = this.data.get(input.key) === input.expected;
        if (ok) this.data.set(input.key, input.value);
        return { kind: 'cas', ok };
      }
      case 'get':
        return { kind: 'get', value: this.data.get(input.key) };
    }
  }

  /** Entries without a command still advance the applied index. */
  skip(index: number): void {
    if (index !== this.appliedIndex + 1) {
      throw new Error(`state machine skips to index ${index} after ${this.appliedIndex}`);
    }
    this.appliedIndex = index;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  snapshot(): Uint8Array {
    return encoder.encode(this.canonical());
  }

  restore(data: Uint8Array, index: number): void {
    const snap: SnapshotData = data.length
      ? (JSON.parse(decoder.decode(data)) as SnapshotData)
      : { pairs: [], sessions: [] };
    this.data = new Map(snap.pairs);
    this.sessions = new Map(snap.sessions);
    this.appliedIndex = index;
  }

  /**
   * Equal for equal contents regardless of insertion order. Sessions are included: two
   * replicas that disagree on which requests ran would diverge on the next duplicate.
   */
  stateHash(): string {
    return hashString(this.canonical()).toString(16);
  }

  private canonical(): string {
    const byKey = <V>(m: Map<string, V>) =>
      [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const snap: SnapshotData = { pairs: byKey(this.data), sessions: byKey(this.sessions) };
    return JSON.stringify(snap);
  }
}
