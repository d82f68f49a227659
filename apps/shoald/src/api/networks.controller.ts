import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { type Network, NotFoundError } from '@shoal/api';
import { type StoredObject } from '@shoal/store';
import { ListFilters } from '../control/list.filters';
import { SWARM_RUNTIME, type SwarmRuntime } from '../manager/swarm-runtime.port';

/** moby's network list filters (daemon/network/filter.go), minus `dangling`: no containers. */
export const NETWORK_LIST_FILTERS = ['driver', 'id', 'label', 'name', 'scope', 'type'];

/** A swarm network as the store would hold it: Docker's swarm.Network shape. */
type StoredNetwork = StoredObject & {
  CreatedAt?: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    DriverConfiguration?: { Name?: string; Options?: Record<string, string> };
    EnableIPv6?: boolean;
    Internal?: boolean;
    Attachable?: boolean;
    Ingress?: boolean;
  };
};

/**
 * GET /networks and /networks/{id}, read-only. Prometheus's dockerswarm discovery lists
 * networks for its `tasks` and `services` roles and fails the whole refresh when the call
 * fails, so this must answer even though Shoal has no overlay networks yet: the swarm
 * networks in the store (none until libs/network lands), and no engine-local networks,
 * since Shoal has no bridge/host/none of its own. Off a manager the list is empty, as a
 * dockerd outside a swarm lists no swarm networks.
 */
@Controller()
export class NetworksController {
  constructor(@Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime) {}

  @Get('networks')
  async list(@Query() query: Record<string, unknown>): Promise<Network[]> {
    const f = ListFilters.parse(query['filters'], NETWORK_LIST_FILTERS);
    const types = f.enumValues('type', 'type', ['custom', 'builtin']);
    return (await this.networks()).filter(
      (n) =>
        f.prefix('id', n.Id) &&
        // moby matches names by substring.
        (f.values('name').length === 0 || f.values('name').some((v) => n.Name?.includes(v))) &&
        f.exact('driver', n.Driver) &&
        f.exact('scope', n.Scope) &&
        f.labels('label', n.Labels) &&
        // Every swarm network is user-defined ("custom"); Shoal has no built-in ones.
        (types.length === 0 || types.includes('custom')),
    );
  }

  @Get('networks/:id')
  async inspect(@Param('id') ref: string): Promise<Network> {
    const all = await this.networks();
    const found =
      all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref) ?? uniquePrefix(all, ref);
    if (!found) throw new NotFoundError(`network ${ref} not found`);
    return found;
  }

  private async networks(): Promise<Network[]> {
    if (this.runtime.localState() !== 'active') return [];
    let manager;
    try {
      manager = this.runtime.manager();
    } catch {
      return [];
    }
    await manager.readBarrier();
    return manager.store.view((tx) =>
      tx
        .list<StoredNetwork>('network')
        .map(toApiNetwork)
        .sort((a, b) => (a.Name! < b.Name! ? -1 : a.Name! > b.Name! ? 1 : 0)),
    );
  }
}

function uniquePrefix(all: Network[], ref: string): Network | undefined {
  const matches = all.filter((n) => n.Id?.startsWith(ref));
  return matches.length === 1 ? matches[0] : undefined;
}

function toApiNetwork(n: StoredNetwork): Network {
  const spec = n.Spec ?? {};
  return {
    Name: spec.Name ?? '',
    Id: n.ID,
    Created: n.CreatedAt ?? '0001-01-01T00:00:00Z',
    Scope: 'swarm',
    Driver: spec.DriverConfiguration?.Name ?? 'overlay',
    EnableIPv6: spec.EnableIPv6 ?? false,
    Internal: spec.Internal ?? false,
    Attachable: spec.Attachable ?? false,
    Ingress: spec.Ingress ?? false,
    ConfigOnly: false,
    Containers: {},
    Options: { ...(spec.DriverConfiguration?.Options ?? {}) },
    Labels: { ...(spec.Labels ?? {}) },
  };
}
