import { describe, expect, it } from 'vitest';
import { type SchedulerTask } from '../scheduler.types';
import { type NodeInfo } from '../state/node.info';
import { taskDemand } from '../state/task.demand';
import {
  clusterOf,
  node,
  type NodeOptions,
  service,
  task,
  type TaskOptions,
} from '../testing/cluster.fixtures';
import { constraintFilter } from './constraint.filter';
import { DEFAULT_FILTERS, noSuitableNode, PipelineRun } from './filter.pipeline';
import { type Filter } from './filter.types';
import { hostPortFilter } from './host-port.filter';
import { maxReplicasFilter } from './max-replicas.filter';
import { availabilityFilter, readyFilter } from './node-state.filter';
import { platformFilter } from './platform.filter';
import { resourceFilter } from './resource.filter';

function info(o: NodeOptions = {}, onIt: SchedulerTask[] = [], ports: string[] = []): NodeInfo {
  const published = ports.map((p) => {
    const [protocol, port] = p.split('/');
    return {
      PublishMode: 'host' as const,
      Protocol: protocol as 'tcp',
      PublishedPort: Number(port),
    };
  });
  return clusterOf([node('n1', o)], onIt, [service('pub', published)]).nodes.get('n1')!;
}

function passes(filter: Filter, o: TaskOptions, n: NodeInfo, ports: string[] = []): boolean {
  const d = taskDemand(task('t', 's', 1, o), ports);
  return !filter.enabled(d) || filter.check(n, d);
}

let seq = 0;
const on = (serviceId: string, o: TaskOptions = {}) =>
  task(`${serviceId}.${++seq}`, serviceId, seq, { nodeId: 'n1', ...o });

describe('filters', () => {
  it('ready and availability: swarmkit texts, down and drained told apart', () => {
    expect(readyFilter.check(info(), taskDemand(task('t', 's', 1), []))).toBe(true);
    expect(readyFilter.check(info({ state: 'down' }), taskDemand(task('t', 's', 1), []))).toBe(
      false,
    );
    for (const a of ['drain', 'pause'] as const)
      expect(passes(availabilityFilter, {}, info({ availability: a }))).toBe(false);
    expect(readyFilter.explain(1)).toBe('1 node not ready');
    expect(availabilityFilter.explain(3)).toBe('3 nodes not available for new tasks');
  });

  it('resources: reservations against what the node offers less what its tasks hold', () => {
    const n = info({ cpus: 2e9, memory: 1000 }, [on('a', { cpus: 1.5e9, memory: 600 })]);
    expect(passes(resourceFilter, { cpus: 5e8, memory: 400 }, n)).toBe(true);
    expect(passes(resourceFilter, { cpus: 6e8 }, n)).toBe(false);
    expect(passes(resourceFilter, { memory: 401 }, n)).toBe(false);
    // Nothing reserved: the filter does not apply, even to a node that reported nothing.
    expect(passes(resourceFilter, {}, info())).toBe(true);
    expect(passes(resourceFilter, { memory: 1 }, info())).toBe(false);
    // A task told to stop holds its reservation until it has stopped.
    const stopping = info({ memory: 1000 }, [on('a', { memory: 600, desired: 'shutdown' })]);
    expect(passes(resourceFilter, { memory: 401 }, stopping)).toBe(false);
    const stopped = info({ memory: 1000 }, [on('a', { memory: 600, state: 'shutdown' })]);
    expect(passes(resourceFilter, { memory: 1000 }, stopped)).toBe(true);
    expect(resourceFilter.explain(2)).toBe('insufficient resources on 2 nodes');
  });

  it('resources: generic, named units and counts, and named requests never met', () => {
    const gpu = (v: string) => ({ NamedResourceSpec: { Kind: 'gpu', Value: v } });
    const ssd = (n: number) => ({ DiscreteResourceSpec: { Kind: 'ssd', Value: n } });
    const want = (kind: string, n: number) => ({
      generic: [{ DiscreteResourceSpec: { Kind: kind, Value: n } }],
    });
    const n = info({ generic: [gpu('a'), gpu('b'), ssd(3)] }, [
      on('x', { assignedGeneric: [gpu('b'), ssd(1)] }),
    ]);
    expect(passes(resourceFilter, want('gpu', 1), n)).toBe(true);
    expect(passes(resourceFilter, want('gpu', 2), n)).toBe(false);
    expect(passes(resourceFilter, want('ssd', 2), n)).toBe(true);
    expect(passes(resourceFilter, want('ssd', 3), n)).toBe(false);
    expect(passes(resourceFilter, want('GPU', 1), n)).toBe(false); // kinds are case-sensitive
    expect(passes(resourceFilter, { generic: [gpu('a')] }, n)).toBe(false);
  });

  it('constraints: every key, == and !=, values case-insensitive, label names not', () => {
    const n = info({
      hostname: 'Web-01',
      role: 'manager',
      labels: { zone: 'EU-1' },
      engineLabels: { disk: 'ssd' },
      platform: { OS: 'linux', Architecture: 'x86_64' },
    });
    const ok = (...constraints: string[]) =>
      passes(constraintFilter, { placement: { Constraints: constraints } }, n);
    expect(ok('node.id==N1', 'node.hostname==web-01', 'node.role==MANAGER')).toBe(true);
    expect(ok('node.platform.os==Linux', 'node.platform.arch==X86_64')).toBe(true);
    expect(ok('node.labels.zone==eu-1', 'engine.labels.disk!=hdd', 'NODE.LABELS.zone==eu-1')).toBe(
      true,
    );
    expect(ok('node.labels.Zone==eu-1')).toBe(false); // no label "Zone": it reads as ''
    expect(ok('node.labels.Zone!=eu-1')).toBe(true);
    expect(ok('node.labels.rack!=r1')).toBe(true);
    expect(ok('node.role==worker')).toBe(false);
    expect(ok('node.id==n1', 'node.hostname!=web-01')).toBe(false); // all must hold
    expect(ok('node.ip==10.0.0.1')).toBe(false); // does not parse: matches nothing
    expect(constraintFilter.explain(1)).toBe('scheduling constraints not satisfied on 1 node');
  });

  it('platforms: any when none, empty fields match all, x86_64/amd64 and aarch64/arm64 alike', () => {
    const plat = (Platforms: { OS?: string; Architecture?: string }[]) => ({
      placement: { Platforms },
    });
    const x86 = info({ platform: { OS: 'linux', Architecture: 'x86_64' } });
    const arm = info({ platform: { OS: 'linux', Architecture: 'aarch64' } });
    expect(passes(platformFilter, plat([]), x86)).toBe(true);
    expect(passes(platformFilter, plat([{ OS: 'linux', Architecture: 'amd64' }]), x86)).toBe(true);
    expect(passes(platformFilter, plat([{ OS: 'linux', Architecture: 'amd64' }]), arm)).toBe(false);
    expect(passes(platformFilter, plat([{ Architecture: 'arm64' }]), arm)).toBe(true);
    expect(passes(platformFilter, plat([{ OS: 'windows' }, { Architecture: 'arm64' }]), x86)).toBe(
      false,
    );
    expect(passes(platformFilter, plat([{ OS: 'Linux' }]), x86)).toBe(false); // exact, as swarmkit
    expect(platformFilter.explain(2)).toBe('unsupported platform on 2 nodes');
  });

  it('host ports: same port and protocol in host mode only', () => {
    const n = info({}, [on('pub')], ['tcp/80']);
    expect(passes(hostPortFilter, {}, n, ['tcp/80'])).toBe(false);
    expect(passes(hostPortFilter, {}, n, ['udp/80'])).toBe(true);
    expect(passes(hostPortFilter, {}, n, ['tcp/81'])).toBe(true);
    expect(passes(hostPortFilter, {}, info(), ['tcp/80'])).toBe(true);
    expect(hostPortFilter.explain(1)).toBe('host-mode port already in use on 1 node');
  });

  it('max replicas: counts the service’s replicas still meant to run', () => {
    const n = info({}, [on('s'), on('s', { desired: 'shutdown' }), on('other')]);
    expect(passes(maxReplicasFilter, { placement: { MaxReplicas: 2 } }, n)).toBe(true);
    expect(passes(maxReplicasFilter, { placement: { MaxReplicas: 1 } }, n)).toBe(false);
    expect(maxReplicasFilter.explain(4)).toBe('max replicas per node limit exceed');
  });
});

describe('PipelineRun', () => {
  it('charges a node to the first filter that refuses it and explains the most refusals first', () => {
    const state = clusterOf([
      node('a', { state: 'down', memory: 0 }),
      node('b', { memory: 0 }),
      node('c', { memory: 0, labels: { zone: 'x' } }),
      node('d', { memory: 10, platform: { OS: 'windows' } }),
      node('e', { availability: 'drain' }),
    ]);
    const demand = taskDemand(
      task('t', 's', 1, { memory: 5, placement: { Constraints: ['node.labels.zone==x'] } }),
      [],
    );
    const run = new PipelineRun(DEFAULT_FILTERS, demand);
    expect([...state.nodes.values()].filter((n) => run.admits(n))).toEqual([]);
    // a: not ready (not charged to resources too); b, c: resources; d: constraints; e: drained.
    expect(run.explain()).toBe(
      'insufficient resources on 2 nodes; 1 node not ready; 1 node not available for new tasks; scheduling constraints not satisfied on 1 node',
    );
    expect(noSuitableNode(run.explain())).toMatch(
      /^no suitable node \(insufficient resources on 2 nodes; /,
    );
    expect(noSuitableNode('')).toBe('no suitable node');
  });
});
