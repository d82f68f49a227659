import { type SeededRng } from '@shoal/raft/core/rng';
import { type NodeId } from '@shoal/raft/core/types';
import { type EventQueue } from './event.queue';
import { type KvCommand } from './kv.state-machine';
import { type Operation, type PendingOperation } from './linearizability/history.types';
import { type KvInput, type KvOutput } from './linearizability/kv.model';

/** How clients reach the cluster; implemented by the runner over the simulated nodes. */
export interface KvService {
  /** The node a client would talk to now, or undefined if it knows of no leader. */
  pickNode(forRead: boolean): NodeId | undefined;
  /**
   * Proposes on `node`. Returns false if the proposal was refused outright — it certainly
   * never entered any log. Otherwise `onApplied` fires if and when `node` applies it.
   */
  write(node: NodeId, cmd: KvCommand, onApplied: (out: KvOutput) => void): boolean;
  /** A linearizable read via ReadIndex; same contract as `write`. */
  read(node: NodeId, rid: string, key: string, onValue: (v: string | undefined) => void): boolean;
}

export interface ClientOptions {
  clients: number;
  keys: number;
  /** A request unanswered this long is recorded with an unknown outcome. */
  timeoutMs: number;
  thinkMinMs: number;
  thinkMaxMs: number;
  /** One-way latency of the reply from the node to the client. */
  replyDelayMs: number;
  /** Relative weights of put / get / cas. */
  mix: { put: number; get: number; cas: number };
}

export interface ClientStats {
  invoked: number;
  completed: number;
  timedOut: number;
  refused: number;
  noLeader: number;
}

interface Outstanding {
  rid: string;
  input: KvInput;
  call: number;
}

interface ClientState {
  id: number;
  next: number;
  outstanding?: Outstanding;
  lastSeen: Map<string, string | undefined>;
  /** The end-of-run liveness probe: keeps going after stop(), writes only. */
  onFinalDone?: () => void;
}

/**
 * Closed-loop clients: each has at most one request in flight, waits a random think time,
 * then issues the next. Every invoked request ends in the history exactly once — completed
 * with its output, or pending when it timed out or the run ended first. A refused proposal
 * is left out altogether: it provably had no effect, so it constrains nothing.
 */
export class KvClients {
  readonly history: Operation<KvInput, KvOutput>[] = [];
  readonly stats: ClientStats = { invoked: 0, completed: 0, timedOut: 0, refused: 0, noLeader: 0 };
  private readonly clients: ClientState[] = [];
  private readonly written: string[] = [];
  private stopped = false;

  constructor(
    private readonly rng: SeededRng,
    private readonly queue: EventQueue,
    private readonly service: KvService,
    private readonly options: ClientOptions,
  ) {
    for (let id = 1; id <= options.clients; id++) {
      this.clients.push({ id, next: 1, lastSeen: new Map() });
    }
  }

  start(): void {
    for (const c of this.clients) this.scheduleNext(c);
  }

  /** No new requests; those in flight may still complete. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * The liveness probe: one more put, retried until one is acknowledged. It is recorded in
   * the history like any other operation, because stragglers from the other clients may
   * still be completing concurrently with it.
   */
  finalWrite(onDone: () => void): void {
    const c: ClientState = { id: 0, next: 1, lastSeen: new Map(), onFinalDone: onDone };
    this.clients.push(c);
    this.issue(c);
  }

  /** Everything still in flight becomes pending: the run is over, nobody will learn more. */
  finish(): void {
    for (const c of this.clients) {
      if (c.outstanding) this.resolve(c, undefined);
    }
  }

  get inFlight(): number {
    return this.clients.filter((c) => c.outstanding).length;
  }

  private think(): number {
    const { thinkMinMs, thinkMaxMs } = this.options;
    return thinkMinMs + this.rng.intn(thinkMaxMs - thinkMinMs + 1);
  }

  private scheduleNext(c: ClientState): void {
    if (this.stopped && !c.onFinalDone) return;
    this.queue.schedule(this.think(), `client ${c.id} issue`, () => this.issue(c));
  }

  private chooseInput(c: ClientState, rid: string): KvInput {
    if (c.onFinalDone) return { kind: 'put', key: 'k0', value: rid };
    const key = `k${this.rng.intn(this.options.keys)}`;
    const { put, get, cas } = this.options.mix;
    const roll = this.rng.intn(put + get + cas);
    if (roll < put) return { kind: 'put', key, value: rid };
    if (roll < put + get) return { kind: 'get', key };
    // Mostly the value this client last saw (a CAS that may well win), sometimes any value
    // ever written or "absent" (likely to lose): both outcomes must be checked.
    let expected: string | undefined;
    const r = this.rng.intn(10);
    if (r < 6 && c.lastSeen.has(key)) expected = c.lastSeen.get(key);
    else if (r < 9 && this.written.length > 0) {
      expected =
        this.written[this.written.length - 1 - this.rng.intn(Math.min(8, this.written.length))];
    }
    return { kind: 'cas', key, expected, value: rid };
  }

  private issue(c: ClientState): void {
    if ((this.stopped && !c.onFinalDone) || c.outstanding) return;
    const rid = `c${c.id}.${c.next}`;
    const input = this.chooseInput(c, rid);
    const node = this.service.pickNode(input.kind === 'get');
    if (node === undefined) {
      this.stats.noLeader++;
      this.scheduleNext(c);
      return;
    }
    c.next++;
    const call = this.queue.now;
    const reply = (out: KvOutput) =>
      this.queue.schedule(this.options.replyDelayMs, `client ${c.id} reply ${rid}`, () => {
        if (c.outstanding?.rid === rid) this.resolve(c, out);
      });
    const accepted =
      input.kind === 'get'
        ? this.service.read(node, rid, input.key, (value) => reply({ kind: 'get', value }))
        : this.service.write(node, { rid, input }, reply);
    if (!accepted) {
      this.stats.refused++;
      this.scheduleNext(c);
      return;
    }
    this.stats.invoked++;
    if (input.kind !== 'get') this.written.push(input.value);
    c.outstanding = { rid, input, call };
    this.queue.schedule(this.options.timeoutMs, `client ${c.id} timeout ${rid}`, () => {
      if (c.outstanding?.rid === rid) this.resolve(c, undefined);
    });
  }

  /** `out` undefined: the outcome is unknown. */
  private resolve(c: ClientState, out: KvOutput | undefined): void {
    const o = c.outstanding!;
    c.outstanding = undefined;
    if (out === undefined) {
      const pending: PendingOperation<KvInput> = {
        clientId: c.id,
        call: o.call,
        input: o.input,
        status: 'unknown',
      };
      this.history.push(pending);
      this.stats.timedOut++;
    } else {
      this.history.push({
        clientId: c.id,
        call: o.call,
        return: this.queue.now,
        input: o.input,
        output: out,
        status: 'ok',
      });
      this.stats.completed++;
      if (out.kind === 'get') c.lastSeen.set(o.input.key, out.value);
      else if (o.input.kind === 'put') c.lastSeen.set(o.input.key, o.input.value);
      else if (o.input.kind === 'cas' && out.kind === 'cas' && out.ok) {
        c.lastSeen.set(o.input.key, o.input.value);
      }
      if (c.onFinalDone) {
        c.onFinalDone();
        return;
      }
    }
    this.scheduleNext(c);
  }
}
