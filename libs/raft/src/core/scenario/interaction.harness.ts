/**
 * The interpreter of the interaction scripts in ../testdata: runs each command against an
 * InteractionEnv and collects what it prints, for the spec to compare with the golden output.
 *
 * Commands (ids are strings; `<id>...` means one or more):
 *
 *   add-nodes <n> [voters=(..) learners=(..) index=<i>] [election-tick=10 heartbeat-tick=1
 *             pre-vote=true check-quorum=true max-size-per-msg=<b> max-inflight-msgs=<n>
 *             max-uncommitted-size=<b>]
 *       Adds n nodes with the next free numeric ids. With voters, each is bootstrapped with a
 *       snapshot at `index` (default 1, term 1) holding that membership; without, it starts
 *       empty, like a node about to join a running cluster.
 *   set-log <id> [term=<t>] [commit=<c>] <term>...
 *       Replaces the log after the node's snapshot with empty entries of the given terms and
 *       restarts it on that disk (how figure 7/8 histories are installed).
 *   campaign <id>                      node.campaign()
 *   tick <id> [n] | tick-heartbeat <id> | tick-election <id>
 *       n ticks / heartbeatTick ticks / electionTick ticks (election timeouts are pinned, see
 *       interaction.env.ts, so tick-election is exactly one election timeout).
 *   propose <id> <data> | propose-conf-change <id> <v|l|r><node>
 *   read-index <id> <ctx> | transfer-leader from=<id> to=<id> | report-unreachable <id> <peer>
 *   process-ready <id>...              one driver iteration (persist, send, apply, advance)
 *   deliver-msgs <id>... [type=(..)]   step the waiting messages into the node(s)
 *   drop-msgs <id>... [type=(..)]      lose the waiting messages instead
 *   stabilize [<id>...]                process-ready + deliver until nothing moves
 *   isolate <id>... | partition (1,2) (3) | heal
 *   crash <id> | restart <id> | compact <id> <index>
 *   status <id>... | raft-log <id> | log-level none|warn|info|debug
 *
 * A request Raft refuses (ProposalDroppedError) prints "refused: <reason>"; anything else that
 * throws from the core fails the test, as does a malformed command.
 */
import { MemoryStorage } from '../memory-storage';
import { RaftNode } from '../raft-node';
import { ConfChangeType, type Message, MessageType, type NodeId, NONE } from '../types';
import { type Arg, type Command, commands, type Script, ScriptError } from './datadriven.parser';
import { EnvError, InteractionEnv, type LogLevel, type NodeConfig } from './interaction.env';

export interface CommandResult {
  command: Command;
  actual: string;
}

const enc = new TextEncoder();

/** Runs every command of the script in a fresh environment; returns each command's output. */
export function runScript(script: Script): CommandResult[] {
  const env = new InteractionEnv();
  const results: CommandResult[] = [];
  for (const command of commands(script)) {
    try {
      run(env, new Args(command));
    } catch (e) {
      if (e instanceof EnvError || e instanceof ArgError) {
        throw new ScriptError(script.file, command.line, e.message);
      }
      // A core failure: keep the file and line with it, it is what someone will debug.
      const err = e as Error;
      err.message = `${script.file}:${command.line}: "${command.text}": ${err.message}`;
      throw err;
    }
    results.push({ command, actual: env.takeOutput() });
  }
  return results;
}

class ArgError extends Error {}

/** Typed access to a command's arguments; every argument must be consumed. */
class Args {
  private readonly used = new Set<Arg>();
  constructor(readonly command: Command) {}

  get name(): string {
    return this.command.name;
  }

  positional(): string[][] {
    return this.command.args.filter((a) => a.key === undefined).map((a) => this.use(a).values);
  }

  /** Positional single values (node ids, numbers, data). */
  words(min: number, max = Infinity): string[] {
    const ws = this.positional().map((v) => {
      if (v.length !== 1) throw new ArgError(`${this.name}: unexpected list (${v.join(',')})`);
      return v[0]!;
    });
    if (ws.length < min || ws.length > max) {
      throw new ArgError(`${this.name}: expected ${min}..${max} positional arguments`);
    }
    return ws;
  }

  list(key: string): string[] | undefined {
    const a = this.command.args.find((x) => x.key === key);
    return a ? this.use(a).values : undefined;
  }

  str(key: string): string | undefined {
    const v = this.list(key);
    if (v && v.length !== 1) throw new ArgError(`${this.name}: ${key} takes one value`);
    return v?.[0];
  }

  int(key: string): number | undefined {
    const v = this.str(key);
    return v === undefined ? undefined : toInt(v);
  }

  bool(key: string): boolean | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw new ArgError(`${key} must be true or false`);
    return v === 'true';
  }

  /** Fails on arguments no handler looked at, so a typo never silently does nothing. */
  done(): void {
    const extra = this.command.args.filter((a) => !this.used.has(a));
    if (extra.length > 0) {
      const names = extra.map((a) => a.key ?? a.values.join(','));
      throw new ArgError(`${this.name}: unexpected argument(s) ${names.join(' ')}`);
    }
  }

  private use(a: Arg): Arg {
    this.used.add(a);
    return a;
  }
}

function toInt(s: string): number {
  if (!/^\d+$/.test(s)) throw new ArgError(`not a non-negative integer: ${s}`);
  return Number(s);
}

function run(env: InteractionEnv, a: Args): void {
  const handler = HANDLERS[a.name];
  if (!handler) throw new ArgError(`unknown command ${a.name}`);
  handler(env, a);
  a.done();
}

type Handler = (env: InteractionEnv, a: Args) => void;

const HANDLERS: Record<string, Handler> = {
  'add-nodes': addNodes,
  'set-log': (env, a) => {
    const [id, ...terms] = a.words(1);
    const term = a.int('term');
    const commit = a.int('commit');
    env.setLog(id!, terms.map(toInt), {
      ...(term !== undefined ? { term } : {}),
      ...(commit !== undefined ? { commit } : {}),
    });
    for (const l of env.raftLog(id!)) env.print(l);
  },
  campaign: (env, a) => {
    const [id] = a.words(1, 1);
    env.raft(id!).campaign();
  },
  tick: (env, a) => {
    const [id, n] = a.words(1, 2);
    tick(env, id!, n === undefined ? 1 : toInt(n));
  },
  'tick-heartbeat': (env, a) => {
    const [id] = a.words(1, 1);
    tick(env, id!, env.config(id!).heartbeatTick);
  },
  'tick-election': (env, a) => {
    const [id] = a.words(1, 1);
    tick(env, id!, env.config(id!).electionTick);
  },
  propose: (env, a) => {
    const [id, data] = a.words(2, 2);
    const r = env.tryOn(id!, (n) => n.propose(enc.encode(data)));
    printProposal(env, id!, r);
  },
  'propose-conf-change': (env, a) => {
    const [id, spec] = a.words(2, 2);
    const m = /^([vlr])(.+)$/.exec(spec!);
    if (!m) throw new ArgError(`conf change must look like v4, l4 or r4, got ${spec}`);
    const type = {
      v: ConfChangeType.AddVoter,
      l: ConfChangeType.AddLearner,
      r: ConfChangeType.RemoveNode,
    }[m[1] as 'v' | 'l' | 'r'];
    const r = env.tryOn(id!, (n) =>
      n.proposeConfChange({ type, nodeId: m[2]!, context: new Uint8Array(0) }),
    );
    printProposal(env, id!, r);
  },
  'read-index': (env, a) => {
    const [id, ctx] = a.words(2, 2);
    env.tryOn(id!, (n) => n.readIndex(enc.encode(ctx)));
  },
  'transfer-leader': (env, a) => {
    a.words(0, 0);
    const from = a.str('from');
    const to = a.str('to');
    if (from === undefined || to === undefined) throw new ArgError('need from=<id> to=<id>');
    env.raft(from).transferLeader(to);
  },
  'report-unreachable': (env, a) => {
    const [id, peer] = a.words(2, 2);
    env.raft(id!).reportUnreachable(peer!);
  },
  'process-ready': (env, a) => {
    for (const id of a.words(1)) if (!env.processReady(id)) env.print(`> ${id}: no Ready`);
  },
  'deliver-msgs': (env, a) => deliver(env, a, false),
  'drop-msgs': (env, a) => deliver(env, a, true),
  stabilize: (env, a) => {
    const ids = a.words(0);
    env.stabilize(ids.length > 0 ? ids : undefined);
  },
  isolate: (env, a) => {
    for (const id of a.words(1)) env.isolate(id);
  },
  partition: (env, a) => env.partition(a.positional()),
  heal: (env, a) => {
    a.words(0, 0);
    env.heal();
  },
  crash: (env, a) => {
    const [id] = a.words(1, 1);
    env.crash(id!);
  },
  restart: (env, a) => {
    const [id] = a.words(1, 1);
    env.restart(id!);
    for (const l of env.status(id!)) env.print(l);
  },
  compact: (env, a) => {
    const [id, index] = a.words(2, 2);
    env.compact(id!, toInt(index!));
    for (const l of env.raftLog(id!)) env.print(l);
  },
  status: (env, a) => {
    for (const id of a.words(1)) for (const l of env.status(id)) env.print(l);
  },
  'raft-log': (env, a) => {
    const [id] = a.words(1, 1);
    for (const l of env.raftLog(id!)) env.print(l);
  },
  'log-level': (env, a) => {
    const [level] = a.words(1, 1);
    if (!['none', 'warn', 'info', 'debug'].includes(level!)) {
      throw new ArgError(`unknown log level ${level}`);
    }
    env.logLevel = level as LogLevel;
  },
};

function addNodes(env: InteractionEnv, a: Args): void {
  const [count] = a.words(1, 1);
  const voters = a.list('voters');
  const learners = a.list('learners') ?? [];
  const index = a.int('index') ?? 1;
  const cfg: NodeConfig = {
    electionTick: a.int('election-tick') ?? 10,
    heartbeatTick: a.int('heartbeat-tick') ?? 1,
    preVote: a.bool('pre-vote') ?? true,
    checkQuorum: a.bool('check-quorum') ?? true,
  };
  const maxSize = a.int('max-size-per-msg');
  if (maxSize !== undefined) cfg.maxSizePerMsg = maxSize;
  const maxInflight = a.int('max-inflight-msgs');
  if (maxInflight !== undefined) cfg.maxInflightMsgs = maxInflight;
  const maxUncommitted = a.int('max-uncommitted-size');
  if (maxUncommitted !== undefined) cfg.maxUncommittedBytes = maxUncommitted;
  if (!voters && a.list('learners')) throw new ArgError('learners= needs voters=');

  const first = env.ids().length + 1;
  for (let i = 0; i < toInt(count!); i++) {
    const id = String(first + i);
    const storage = new MemoryStorage();
    if (voters) bootstrap(storage, voters, learners, index);
    env.addNode(id, storage, { ...cfg });
    for (const l of env.status(id)) env.print(l);
  }
}

/**
 * The production bootstrap (RaftNode.bootstrapStorage) always uses index 1; other indexes
 * write the equivalent snapshot by hand, to test logs that do not start at the beginning.
 */
function bootstrap(storage: MemoryStorage, voters: string[], learners: string[], index: number) {
  if (index === 1) {
    RaftNode.bootstrapStorage(storage, voters, learners);
    return;
  }
  if (index < 1) throw new ArgError('index must be >= 1');
  storage.applySnapshot({
    metadata: { index, term: 1, confState: { voters: [...voters], learners: [...learners] } },
    data: new Uint8Array(0),
  });
  storage.setHardState({ term: 1, vote: NONE, commit: index });
}

function tick(env: InteractionEnv, id: NodeId, n: number): void {
  const node = env.raft(id);
  for (let i = 0; i < n; i++) node.tick();
}

function printProposal(
  env: InteractionEnv,
  id: NodeId,
  r: { index: number; term: number } | null | undefined,
): void {
  if (r === undefined) return; // refused; already printed
  if (r === null) env.print(`forwarded to leader ${env.raft(id).leaderId() || '-'}`);
  else env.print(`appended at ${r.term}/${r.index}`);
}

function deliver(env: InteractionEnv, a: Args, drop: boolean): void {
  const ids = a.words(1);
  const types = a.list('type');
  let filter: ((m: Message) => boolean) | undefined;
  if (types) {
    const wanted = new Set(
      types.map((t) => {
        const v = (MessageType as unknown as Record<string, number>)[t.replace(/^Msg/, '')];
        if (v === undefined) throw new ArgError(`unknown message type ${t}`);
        return v;
      }),
    );
    filter = (m) => wanted.has(m.type);
  }
  for (const id of ids) {
    if (!env.deliver(id, filter, drop)) env.print(`> ${id}: no messages`);
  }
}
