import { type SeededRng } from '@shoal/raft/core/rng';
import { type EventQueue } from './event.queue';
import { type SeededNetwork } from './seeded.network';
import { type FaultOptions, type SimProfile } from './sim.options';
import { CRASH_POINTS, type CrashPoint, type SimulatedNode } from './simulated.node';

export interface ClusterControl {
  readonly nodes: SimulatedNode[];
  readonly network: SeededNetwork;
  /** 'now' crashes at once; a CrashPoint arms the node to crash inside its next Ready. */
  crash(node: SimulatedNode, when: CrashPoint | 'now'): void;
  restart(node: SimulatedNode): void;
  pause(node: SimulatedNode): void;
  resume(node: SimulatedNode): void;
  leader(): SimulatedNode | undefined;
}

export interface FaultStats {
  crashes: number;
  armedCrashes: number;
  restarts: number;
  partitions: number;
  transfers: number;
  pauses: number;
}

/**
 * Injects crashes, partitions and leader transfers at seeded random times until stopped.
 * At most a minority is ever down at once: a cluster with a majority dead makes no progress,
 * so such stretches would add run time without adding interesting histories.
 */
export class FaultScheduler {
  readonly stats: FaultStats = {
    crashes: 0,
    armedCrashes: 0,
    restarts: 0,
    partitions: 0,
    transfers: 0,
    pauses: 0,
  };
  private active = false;
  private partitionGeneration = 0;

  constructor(
    private readonly rng: SeededRng,
    private readonly queue: EventQueue,
    private readonly cluster: ClusterControl,
    private readonly profile: SimProfile,
    private readonly faults: FaultOptions,
  ) {}

  start(): void {
    this.active = true;
    if (this.faults.crashes) this.later(this.profile.crashGapMs, 'fault crash', () => this.crash());
    if (this.faults.partitions) {
      this.later(this.profile.partitionGapMs, 'fault partition', () => this.partition());
    }
    if (this.faults.leaderTransfers) {
      this.later(this.profile.transferGapMs, 'fault transfer', () => this.transfer());
    }
    if (this.faults.pauses) this.later(this.profile.pauseGapMs, 'fault pause', () => this.pause());
  }

  /** Stops injecting; already-scheduled restarts and heals still happen. */
  stop(): void {
    this.active = false;
  }

  private between([lo, hi]: [number, number]): number {
    return lo + this.rng.intn(Math.max(1, hi - lo + 1));
  }

  /** A gap around `mean`: uniform in [mean/2, 3·mean/2]. */
  private later(mean: number, label: string, run: () => void): void {
    const lo = Math.floor(mean / 2);
    this.queue.schedule(this.between([lo, lo + mean]), label, () => {
      if (this.active) run();
    });
  }

  private crash(): void {
    const nodes = this.cluster.nodes;
    const maxDown = Math.floor((nodes.length - 1) / 2);
    const candidates = nodes.filter((n) => n.up && !n.armedCrash);
    const down = nodes.length - candidates.length;
    if (down < maxDown && candidates.length > 0) {
      const leader = this.cluster.leader();
      const victim =
        leader && !leader.armedCrash && this.rng.intn(3) === 0
          ? leader
          : candidates[this.rng.intn(candidates.length)];
      const when =
        this.rng.intn(2) === 0 ? 'now' : CRASH_POINTS[this.rng.intn(CRASH_POINTS.length)];
      if (when === 'now') this.stats.crashes++;
      else this.stats.armedCrashes++;
      this.cluster.crash(victim, when);
      // A third of crashes are a process restart (a supervisor brings it straight back):
      // the node returns while the election or the round it crashed in is still going on.
      const downtime =
        this.rng.intn(3) === 0 ? this.between([1, 20]) : this.between(this.profile.downtimeMs);
      this.queue.schedule(downtime, `restart ${victim.id}`, () => {
        if (victim.up) {
          // The armed crash never struck (the node had no Ready in the meantime).
          victim.armedCrash = undefined;
          return;
        }
        this.stats.restarts++;
        this.cluster.restart(victim);
      });
    }
    this.later(this.profile.crashGapMs, 'fault crash', () => this.crash());
  }

  private partition(): void {
    const ids = this.cluster.nodes.map((n) => n.id);
    const leader = this.cluster.leader()?.id;
    const kind = this.rng.intn(4);
    let side: string[];
    if (kind === 0) {
      // Isolate one node, often the leader: the classic stale-leader setup.
      side = [leader && this.rng.intn(2) === 0 ? leader : ids[this.rng.intn(ids.length)]];
    } else if (kind === 1 && leader) {
      // The leader keeps a minority: it must stop serving, the majority must move on.
      const others = ids.filter((id) => id !== leader);
      side = [leader];
      while (side.length < Math.floor((ids.length - 1) / 2)) {
        side.push(others.splice(this.rng.intn(others.length), 1)[0]);
      }
    } else {
      do side = ids.filter(() => this.rng.intn(2) === 0);
      while (side.length === 0 || side.length === ids.length);
    }
    const rest = ids.filter((id) => !side.includes(id));
    // One kind in four is one-way: `side` can hear the others but not reach them (or the
    // reverse). A leader that can send heartbeats but never hears acks must step down; a
    // node that cannot hear the leader must not disrupt it forever.
    if (kind === 3) {
      if (this.rng.intn(2) === 0) this.cluster.network.oneWay(side, rest);
      else this.cluster.network.oneWay(rest, side);
    } else {
      this.cluster.network.partition([side, rest]);
    }
    this.stats.partitions++;
    const generation = ++this.partitionGeneration;
    this.queue.schedule(this.between(this.profile.partitionMs), 'heal', () => {
      if (generation === this.partitionGeneration) this.cluster.network.heal();
    });
    this.later(this.profile.partitionGapMs, 'fault partition', () => this.partition());
  }

  private pause(): void {
    const candidates = this.cluster.nodes.filter((n) => n.up && !n.paused);
    const leader = this.cluster.leader();
    // Mostly the leader: a leader that wakes up still believing it leads is the case that
    // breaks lease-based reads.
    const victim =
      leader && !leader.paused && this.rng.intn(2) === 0
        ? leader
        : candidates.length > 0
          ? candidates[this.rng.intn(candidates.length)]
          : undefined;
    if (victim) {
      this.stats.pauses++;
      this.cluster.pause(victim);
      const epoch = victim.epoch;
      this.queue.schedule(this.between(this.profile.pauseMs), `resume ${victim.id}`, () => {
        if (victim.epoch === epoch && victim.paused) this.cluster.resume(victim);
      });
    }
    this.later(this.profile.pauseGapMs, 'fault pause', () => this.pause());
  }

  private transfer(): void {
    const leader = this.cluster.leader();
    if (leader) {
      const others = this.cluster.nodes.filter((n) => n !== leader);
      const target = others[this.rng.intn(others.length)];
      this.stats.transfers++;
      leader.transferLeader(target.id);
    }
    this.later(this.profile.transferGapMs, 'fault transfer', () => this.transfer());
  }
}
