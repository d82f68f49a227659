import { type SchedulerNode } from '../scheduler.types';
import { type GenericClaim, GenericPool } from './generic.resources';

/** What one task takes from its node while it holds it (see holdsNode). */
export interface Holding {
  readonly nodeId: string;
  readonly serviceId: string;
  /** A replica for spreading and MaxReplicas (see countsAsReplica). */
  counts: boolean;
  readonly nanoCPUs: number;
  readonly memoryBytes: number;
  readonly generic: readonly GenericClaim[];
  readonly hostPorts: readonly string[];
  /** The task's AssignedGenericResources that `generic` was read from, if any. */
  readonly claimedFrom?: unknown;
}

/**
 * One node as the scheduler sees it: the node object, what it offers less what its tasks
 * hold, and how many replicas it runs in all and per service. Kept up to date from store
 * events (ClusterState) so that a reconcile never has to walk every task.
 */
export class NodeInfo {
  readonly id: string;
  private current: SchedulerNode;
  private reservedCPUs = 0;
  private reservedMemory = 0;
  private pool: GenericPool;
  private offerKey: string;
  private readonly ports = new Map<string, number>();
  private readonly perService = new Map<string, number>();
  private replicas = 0;
  private readonly holdings = new Map<string, Holding>();

  constructor(node: SchedulerNode) {
    this.id = node.ID;
    this.current = node;
    this.offerKey = genericOfferKey(node);
    this.pool = new GenericPool(node.Description?.Resources?.GenericResources);
  }

  get node(): SchedulerNode {
    return this.current;
  }

  set node(node: SchedulerNode) {
    this.current = node;
    const key = genericOfferKey(node);
    if (key === this.offerKey) return;
    // The offer changed: rebuild the pool and re-apply every claim, named units included.
    this.offerKey = key;
    this.pool = new GenericPool(node.Description?.Resources?.GenericResources);
    for (const h of this.holdings.values()) for (const c of h.generic) this.pool.apply(c);
  }

  get generic(): GenericPool {
    return this.pool;
  }

  get availableCPUs(): number {
    return (this.current.Description?.Resources?.NanoCPUs ?? 0) - this.reservedCPUs;
  }

  get availableMemory(): number {
    return (this.current.Description?.Resources?.MemoryBytes ?? 0) - this.reservedMemory;
  }

  hostPortInUse(key: string): boolean {
    return (this.ports.get(key) ?? 0) > 0;
  }

  replicasOf(serviceId: string): number {
    return this.perService.get(serviceId) ?? 0;
  }

  get totalReplicas(): number {
    return this.replicas;
  }

  get holdingCount(): number {
    return this.holdings.size;
  }

  add(taskId: string, h: Holding): void {
    this.holdings.set(taskId, h);
    this.reservedCPUs += h.nanoCPUs;
    this.reservedMemory += h.memoryBytes;
    for (const c of h.generic) this.pool.apply(c);
    for (const p of h.hostPorts) this.ports.set(p, (this.ports.get(p) ?? 0) + 1);
    if (h.counts) this.count(h.serviceId, 1);
  }

  remove(taskId: string): void {
    const h = this.holdings.get(taskId);
    if (!h) return;
    this.holdings.delete(taskId);
    this.reservedCPUs -= h.nanoCPUs;
    this.reservedMemory -= h.memoryBytes;
    for (const c of h.generic) this.pool.release(c);
    for (const p of h.hostPorts) {
      const n = (this.ports.get(p) ?? 0) - 1;
      if (n > 0) this.ports.set(p, n);
      else this.ports.delete(p);
    }
    if (h.counts) this.count(h.serviceId, -1);
  }

  /** The task stays, but stops (or starts again) counting as a replica. */
  setCounts(taskId: string, counts: boolean): void {
    const h = this.holdings.get(taskId);
    if (!h || h.counts === counts) return;
    h.counts = counts;
    this.count(h.serviceId, counts ? 1 : -1);
  }

  private count(serviceId: string, delta: number): void {
    this.replicas += delta;
    const n = (this.perService.get(serviceId) ?? 0) + delta;
    if (n > 0) this.perService.set(serviceId, n);
    else this.perService.delete(serviceId);
  }
}

function genericOfferKey(node: SchedulerNode): string {
  const offer = node.Description?.Resources?.GenericResources;
  return offer && offer.length > 0 ? JSON.stringify(offer) : '';
}
