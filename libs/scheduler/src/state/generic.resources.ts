import { type GenericResources } from '@shoal/api/swarm/common.types';

/**
 * Generic resources (`--generic-resource`), after swarmkit's genericresource package.
 *
 * A node offers units by name (NamedResourceSpec `GPU=UUID1`, one entry per unit) or by
 * count (DiscreteResourceSpec `SSD=3`). A task asks only for a count of a kind
 * (DiscreteResourceSpec `GPU=2`), whichever way the node offers it; the scheduler then
 * claims specific named units for it and records them in the task's
 * AssignedGenericResources, so the agent can tell the container which ones it got. Kinds are
 * case-sensitive, as in swarmkit.
 */

/** What one task takes of one kind: specific named units, and a count of unnamed ones. */
export interface GenericClaim {
  kind: string;
  units: readonly string[];
  count: number;
}

/** A task's request: how many units of each kind (requests of the same kind summed). */
export interface GenericRequest {
  kind: string;
  count: number;
}

/**
 * A request with a NamedResourceSpec cannot be met: swarmkit refuses it ("task should only
 * hold Discrete type") and so does Shoal, rather than guess what naming a unit means.
 */
export function genericRequests(resources: GenericResources | undefined): {
  requests: GenericRequest[];
  unsatisfiable: boolean;
} {
  if (!resources?.length) return { requests: [], unsatisfiable: false };
  const counts = new Map<string, number>();
  let unsatisfiable = false;
  for (const r of resources ?? []) {
    if (r.NamedResourceSpec) unsatisfiable = true;
    const d = r.DiscreteResourceSpec;
    if (!d?.Kind || !(d.Value && d.Value > 0)) continue;
    counts.set(d.Kind, (counts.get(d.Kind) ?? 0) + d.Value);
  }
  return { requests: [...counts].map(([kind, count]) => ({ kind, count })), unsatisfiable };
}

/** A task's AssignedGenericResources as claims (named units, and discrete counts). */
export function assignedClaims(assigned: GenericResources | undefined): GenericClaim[] {
  if (!assigned?.length) return [];
  const byKind = new Map<string, { units: string[]; count: number }>();
  const entry = (kind: string) => {
    let e = byKind.get(kind);
    if (!e) byKind.set(kind, (e = { units: [], count: 0 }));
    return e;
  };
  for (const r of assigned ?? []) {
    const named = r.NamedResourceSpec;
    const discrete = r.DiscreteResourceSpec;
    if (named?.Kind && named.Value !== undefined) {
      const e = entry(named.Kind);
      e.units.push(named.Value);
      e.count++;
    } else if (discrete?.Kind && discrete.Value && discrete.Value > 0) {
      entry(discrete.Kind).count += discrete.Value;
    }
  }
  return [...byKind].map(([kind, e]) => ({ kind, units: e.units, count: e.count }));
}

/** Claims in the API's shape, for the task's AssignedGenericResources. */
export function claimsToResources(claims: readonly GenericClaim[]): GenericResources {
  const out: GenericResources = [];
  for (const c of claims) {
    for (const unit of c.units) out.push({ NamedResourceSpec: { Kind: c.kind, Value: unit } });
    const unnamed = c.count - c.units.length;
    if (unnamed > 0) out.push({ DiscreteResourceSpec: { Kind: c.kind, Value: unnamed } });
  }
  return out;
}

interface NamedPool {
  /** In the order the node lists them: claims take the first free ones. */
  units: string[];
  offered: Set<string>;
  /** Claims per unit; a unit claimed twice (by tasks placed before) is still one unit. */
  claims: Map<string, number>;
  /** Offered units with at least one claim. */
  busy: number;
}

/** What a node has left of each kind; claims may drive a count below zero (overcommitted). */
export class GenericPool {
  private readonly named = new Map<string, NamedPool>();
  private readonly discrete = new Map<string, number>();

  constructor(offer: GenericResources | undefined) {
    for (const r of offer ?? []) {
      const n = r.NamedResourceSpec;
      const d = r.DiscreteResourceSpec;
      if (n?.Kind && n.Value !== undefined) {
        let pool = this.named.get(n.Kind);
        if (!pool) {
          pool = { units: [], offered: new Set(), claims: new Map(), busy: 0 };
          this.named.set(n.Kind, pool);
        }
        if (!pool.offered.has(n.Value)) {
          pool.units.push(n.Value);
          pool.offered.add(n.Value);
        }
      } else if (d?.Kind && d.Value && d.Value > 0) {
        this.discrete.set(d.Kind, (this.discrete.get(d.Kind) ?? 0) + d.Value);
      }
    }
  }

  available(kind: string): number {
    const pool = this.named.get(kind);
    const named = pool ? pool.units.length - pool.busy : 0;
    return named + (this.discrete.get(kind) ?? 0);
  }

  hasEnough(requests: readonly GenericRequest[]): boolean {
    return requests.every((r) => this.available(r.kind) >= r.count);
  }

  /**
   * Chooses `count` units of `kind` without taking them: the first free named units in the
   * node's order, the rest from the counted pool. The caller checked hasEnough and applies it.
   */
  pick(kind: string, count: number): GenericClaim {
    const units: string[] = [];
    const pool = this.named.get(kind);
    if (pool) {
      for (const unit of pool.units) {
        if (units.length === count) break;
        if (!pool.claims.get(unit)) units.push(unit);
      }
    }
    return { kind, units, count };
  }

  apply(claim: GenericClaim): void {
    this.adjust(claim, 1);
  }

  release(claim: GenericClaim): void {
    this.adjust(claim, -1);
  }

  private adjust(claim: GenericClaim, sign: 1 | -1): void {
    const pool = this.named.get(claim.kind);
    for (const unit of claim.units) {
      if (!pool) break;
      const before = pool.claims.get(unit) ?? 0;
      const after = before + sign;
      if (after > 0) pool.claims.set(unit, after);
      else pool.claims.delete(unit);
      if (pool.offered.has(unit) && (before === 0) !== after <= 0) pool.busy += sign;
    }
    // Named units the node does not offer (any more) and unnamed claims use the counted pool.
    const unnamed = claim.count - claim.units.filter((u) => pool?.offered.has(u)).length;
    if (unnamed !== 0) {
      this.discrete.set(claim.kind, (this.discrete.get(claim.kind) ?? 0) - sign * unnamed);
    }
  }
}
