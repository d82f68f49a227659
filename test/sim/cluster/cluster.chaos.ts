import { type NodeId, type SeededRng } from '@shoal/raft/core';
import { type EventQueue } from '../event.queue';
import { type SeededNetwork } from '../seeded.network';
import { type AgentFleet, type SimHost } from './agent.fleet';
import { type StoreMember } from './store.member';

/** What the chaos acts on; implemented by the cluster simulation. */
export interface ChaosTarget {
  readonly queue: EventQueue;
  readonly members: Map<NodeId, StoreMember>;
  readonly network: SeededNetwork;
  readonly fleet: AgentFleet;
  /** "node>manager" pairs that cannot talk. */
  readonly agentCuts: Set<string>;
  leader(): StoreMember | undefined;
  restartMember(m: StoreMember): void;
  updateService(name: string, change: { replicas?: number; image?: string }): void;
}

export interface ChaosStats {
  managerCrashes: number;
  leaderCrashes: number;
  managerPartitions: number;
  leaderTransfers: number;
  hostDeaths: number;
  agentRestarts: number;
  agentPartitions: number;
  scales: number;
  imageUpdates: number;
}

/**
 * The seeded fault schedule. Managers: crashes (the leader more often than not) with a
 * restart a few seconds later, a member (often the leader) partitioned from the others, and
 * leader transfers; at most one manager fault at a time, so a majority can always make
 * progress. Agents: the host lost (its workloads die), the agent process killed (its
 * workloads run on, to be re-adopted), the node cut off from all managers or from the leader
 * only; at most half the nodes at once. The operator scales and updates services meanwhile.
 */
export class ClusterChaos {
  readonly stats: ChaosStats = {
    managerCrashes: 0,
    leaderCrashes: 0,
    managerPartitions: 0,
    leaderTransfers: 0,
    hostDeaths: 0,
    agentRestarts: 0,
    agentPartitions: 0,
    scales: 0,
    imageUpdates: 0,
  };
  private active = false;
  private managerFault = false;
  private readonly troubled = new Set<string>();
  private imageVersion = 1;

  constructor(
    private readonly rng: SeededRng,
    private readonly t: ChaosTarget,
  ) {}

  start(): void {
    this.active = true;
    this.every([2_000, 5_000], 'chaos manager', () => this.managerChaos(), 3_000);
    this.every([600, 2_500], 'chaos agent', () => this.agentChaos(), 2_000);
    this.every([4_000, 12_000], 'chaos operator', () => this.operator(), 4_000);
  }

  stop(): void {
    this.active = false;
  }

  private between(lo: number, hi: number): number {
    return lo + this.rng.intn(hi - lo + 1);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.intn(xs.length)]!;
  }

  private every(gap: [number, number], label: string, run: () => void, first: number): void {
    const loop = () => {
      if (!this.active) return;
      run();
      this.t.queue.schedule(this.between(gap[0], gap[1]), label, loop);
    };
    this.t.queue.schedule(first + this.between(0, gap[0]), label, loop);
  }

  /** Schedules the end of a fault; it happens even after stop() (the heal does it anyway). */
  private later(ms: number, label: string, run: () => void): void {
    this.t.queue.schedule(ms, label, run);
  }

  private managerChaos(): void {
    if (this.managerFault) return;
    const members = [...this.t.members.values()];
    const leader = this.t.leader();
    const roll = this.rng.intn(10);
    if (roll < 5) {
      // A crash, of the leader when there is one in 4 cases out of 5.
      const victim = leader && this.rng.intn(5) > 0 ? leader : this.pick(members);
      if (!victim.up) return;
      this.managerFault = true;
      this.stats.managerCrashes++;
      if (victim === leader) this.stats.leaderCrashes++;
      victim.crash();
      this.later(this.between(500, 6_000), `restart ${victim.id}`, () => {
        this.t.restartMember(victim);
        this.managerFault = false;
      });
    } else if (roll < 8) {
      const victim = leader && this.rng.intn(3) > 0 ? leader : this.pick(members);
      this.managerFault = true;
      this.stats.managerPartitions++;
      const rest = members.filter((m) => m !== victim).map((m) => m.id);
      this.t.network.partition([[victim.id], rest]);
      this.later(this.between(500, 5_000), `heal ${victim.id}`, () => {
        this.t.network.heal();
        this.managerFault = false;
      });
    } else if (leader) {
      const to = this.pick(members.filter((m) => m !== leader && m.up));
      if (!to) return;
      this.stats.leaderTransfers++;
      leader.transferLeader(to.id);
    }
  }

  private agentChaos(): void {
    const hosts = this.t.fleet.hosts;
    const calm = hosts.filter((h) => !this.troubled.has(h.id));
    if (this.troubled.size >= Math.floor(hosts.length / 2) || calm.length === 0) return;
    const h = this.pick(calm);
    this.troubled.add(h.id);
    const done = () => this.troubled.delete(h.id);
    const roll = this.rng.intn(4);
    if (roll === 0) {
      this.stats.hostDeaths++;
      this.t.fleet.kill(h, 'host');
      this.later(this.between(1_000, 10_000), `host ${h.id} back`, () => this.revive(h, done));
    } else if (roll === 1) {
      this.stats.agentRestarts++;
      this.t.fleet.kill(h, 'process');
      this.later(this.between(200, 3_000), `agent ${h.id} back`, () => this.revive(h, done));
    } else {
      // Cut from every manager, or from the leader only (the others still answer, and name it).
      this.stats.agentPartitions++;
      const leader = this.t.leader();
      const managers = roll === 2 || !leader ? [...this.t.members.keys()] : [leader.id];
      const cuts = managers.map((m) => `${h.id}>${m}`);
      for (const c of cuts) this.t.agentCuts.add(c);
      this.later(this.between(500, 8_000), `reconnect ${h.id}`, () => {
        for (const c of cuts) this.t.agentCuts.delete(c);
        done();
      });
    }
  }

  private revive(h: SimHost, done: () => void): void {
    this.t.fleet.start(h);
    done();
  }

  private operator(): void {
    const roll = this.rng.intn(3);
    if (roll < 2) {
      this.stats.scales++;
      const name = roll === 0 ? 'web' : 'api';
      this.t.updateService(name, { replicas: this.between(1, 7) });
    } else {
      this.stats.imageUpdates++;
      this.t.updateService(this.rng.intn(2) === 0 ? 'web' : 'api', {
        image: `sim/app:${++this.imageVersion}`,
      });
    }
  }
}
