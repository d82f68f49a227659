import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../api/swarm.types';
import { UsageError } from '../errors/cli.errors';
import { parsePortSpec } from '../parse/port-spec.parser';
import {
  applyServiceUpdate,
  buildServiceSpec,
  modeName,
  parsePlacementPref,
  updateMounts,
  updatePorts,
} from './service-spec.builder';

describe('buildServiceSpec (service create)', () => {
  it('sends only the image when no flag is set, leaving defaults to the daemon', () => {
    expect(buildServiceSpec('nginx:alpine', [], {})).toEqual({
      TaskTemplate: { ContainerSpec: { Image: 'nginx:alpine' } },
    });
  });

  it('puts COMMAND and ARGs in ContainerSpec.Args (they override CMD, not ENTRYPOINT)', () => {
    expect(
      buildServiceSpec('alpine', ['ping', '-c', '3', 'host'], {}).TaskTemplate?.ContainerSpec,
    ).toEqual({
      Image: 'alpine',
      Args: ['ping', '-c', '3', 'host'],
    });
  });

  it('maps every flag to its field', () => {
    const spec = buildServiceSpec(
      'redis:7',
      [],
      {
        name: 'cache',
        replicas: 3,
        env: ['A=1', 'TOKEN'],
        label: ['tier=backend', 'flag'],
        containerLabel: ['c=1'],
        constraint: ['node.role==worker'],
        placementPref: ['spread=node.labels.zone'],
        publish: parsePortSpec('6379:6379'),
        mount: [{ Target: '/data', Source: 'data', Type: 'volume' }],
        reserveCpu: 500_000_000,
        reserveMemory: 536_870_912,
        limitCpu: 1_000_000_000,
        limitMemory: 1_073_741_824,
        restartCondition: 'on-failure',
        restartDelay: 5_000_000_000,
        restartMaxAttempts: 3,
        restartWindow: 60_000_000_000,
        updateParallelism: 2,
        updateDelay: 10_000_000_000,
        updateFailureAction: 'rollback',
        updateMonitor: 5_000_000_000,
        updateMaxFailureRatio: 0.25,
        updateOrder: 'start-first',
        rollbackParallelism: 1,
        rollbackDelay: 1_000_000_000,
        rollbackFailureAction: 'continue',
        rollbackMonitor: 2_000_000_000,
        rollbackMaxFailureRatio: 0.5,
        rollbackOrder: 'stop-first',
        healthCmd: 'redis-cli ping',
        healthInterval: 30_000_000_000,
        healthTimeout: 3_000_000_000,
        healthRetries: 4,
        healthStartPeriod: 10_000_000_000,
        healthcheck: true,
        stopGracePeriod: 20_000_000_000,
        init: true,
        readOnly: true,
        workdir: '/data',
        user: 'redis',
        hostname: 'cache-host',
      },
      { TOKEN: 'xyz' },
    );
    expect(spec).toEqual({
      Name: 'cache',
      Labels: { tier: 'backend', flag: '' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'redis:7',
          Env: ['A=1', 'TOKEN=xyz'],
          Labels: { c: '1' },
          Mounts: [{ Target: '/data', Source: 'data', Type: 'volume' }],
          HealthCheck: {
            Test: ['CMD-SHELL', 'redis-cli ping'],
            Interval: 30_000_000_000,
            Timeout: 3_000_000_000,
            Retries: 4,
            StartPeriod: 10_000_000_000,
          },
          Hostname: 'cache-host',
          Dir: '/data',
          User: 'redis',
          StopGracePeriod: 20_000_000_000,
          Init: true,
          ReadOnly: true,
        },
        Placement: {
          Constraints: ['node.role==worker'],
          Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
        },
        Resources: {
          Reservations: { NanoCPUs: 500_000_000, MemoryBytes: 536_870_912 },
          Limits: { NanoCPUs: 1_000_000_000, MemoryBytes: 1_073_741_824 },
        },
        RestartPolicy: {
          Condition: 'on-failure',
          Delay: 5_000_000_000,
          MaxAttempts: 3,
          Window: 60_000_000_000,
        },
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: {
        Ports: [{ Protocol: 'tcp', TargetPort: 6379, PublishedPort: 6379, PublishMode: 'ingress' }],
      },
      UpdateConfig: {
        Parallelism: 2,
        Delay: 10_000_000_000,
        FailureAction: 'rollback',
        Monitor: 5_000_000_000,
        MaxFailureRatio: 0.25,
        Order: 'start-first',
      },
      RollbackConfig: {
        Parallelism: 1,
        Delay: 1_000_000_000,
        FailureAction: 'continue',
        Monitor: 2_000_000_000,
        MaxFailureRatio: 0.5,
        Order: 'stop-first',
      },
    });
  });

  it('modes: each has its own shape; --replicas is the job total for replicated-job', () => {
    expect(buildServiceSpec('x', [], { mode: 'global' }).Mode).toEqual({ Global: {} });
    expect(buildServiceSpec('x', [], { mode: 'global-job' }).Mode).toEqual({ GlobalJob: {} });
    expect(buildServiceSpec('x', [], { mode: 'replicated' }).Mode).toEqual({ Replicated: {} });
    expect(
      buildServiceSpec('x', [], { mode: 'replicated-job', replicas: 5, maxConcurrent: 2 }).Mode,
    ).toEqual({
      ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 },
    });
  });

  it('refuses --replicas and --max-concurrent where they mean nothing', () => {
    expect(() => buildServiceSpec('x', [], { mode: 'global', replicas: 2 })).toThrow(
      /--replicas can only be used with replicated or replicated-job mode, not global/,
    );
    expect(() => buildServiceSpec('x', [], { maxConcurrent: 2 })).toThrow(/--max-concurrent/);
  });

  it('--no-healthcheck disables the check, and conflicts with --health-*', () => {
    expect(
      buildServiceSpec('x', [], { healthcheck: false }).TaskTemplate?.ContainerSpec?.HealthCheck,
    ).toEqual({
      Test: ['NONE'],
    });
    expect(() => buildServiceSpec('x', [], { healthcheck: false, healthRetries: 3 })).toThrow(
      UsageError,
    );
    expect(() => buildServiceSpec('x', [], { healthcheck: false, healthCmd: 'true' })).toThrow(
      '--no-healthcheck conflicts with --health-* options',
    );
  });

  it('health tuning without --health-cmd keeps the image test', () => {
    expect(
      buildServiceSpec('x', [], { healthInterval: 1_000_000_000 }).TaskTemplate?.ContainerSpec
        ?.HealthCheck,
    ).toEqual({
      Interval: 1_000_000_000,
    });
  });
});

const current: ServiceSpec = {
  Name: 'web',
  Labels: { keep: '1', drop: '2' },
  TaskTemplate: {
    ContainerSpec: {
      Image: 'nginx:1.24',
      Env: ['A=1', 'B=2'],
      Mounts: [{ Target: '/data', Source: 'old', Type: 'volume' }],
      HealthCheck: { Test: ['NONE'] },
      Secrets: [{ SecretName: 'unknown-to-the-cli' }],
    },
    Placement: { Constraints: ['node.role==worker', 'node.labels.ssd==true'] },
    ForceUpdate: 2,
  },
  Mode: { Replicated: { Replicas: 2 } },
  UpdateConfig: { Parallelism: 1, Delay: 5_000_000_000 },
  EndpointSpec: {
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'ingress' },
    ],
  },
  Networks: [{ Target: 'overlay1' }],
};

describe('applyServiceUpdate (service update)', () => {
  it('changes nothing without flags, and never mutates its input', () => {
    const before = structuredClone(current);
    expect(applyServiceUpdate(current, {})).toEqual(current);
    applyServiceUpdate(current, { image: 'x', envAdd: ['C=3'], force: true, replicas: 9 });
    expect(current).toEqual(before);
  });

  it('image, replicas, force, and fields it does not know survive', () => {
    const spec = applyServiceUpdate(current, { image: 'nginx:1.25', replicas: 5, force: true });
    expect(spec.TaskTemplate?.ContainerSpec?.Image).toBe('nginx:1.25');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(spec.TaskTemplate?.ForceUpdate).toBe(3);
    expect(spec.TaskTemplate?.ContainerSpec?.Secrets).toEqual([
      { SecretName: 'unknown-to-the-cli' },
    ]);
    expect(spec.Networks).toEqual([{ Target: 'overlay1' }]);
  });

  it('env: rm by name, add replaces a variable of the same name', () => {
    const spec = applyServiceUpdate(current, { envAdd: ['B=20', 'C=3'], envRm: ['A'] });
    expect(spec.TaskTemplate?.ContainerSpec?.Env).toEqual(['B=20', 'C=3']);
  });

  it('labels and constraints: add and rm', () => {
    const spec = applyServiceUpdate(current, {
      labelAdd: ['new=x', 'keep=updated'],
      labelRm: ['drop'],
      constraintAdd: ['node.labels.zone==a'],
      constraintRm: ['node.labels.ssd==true'],
      containerLabelAdd: ['c=1'],
    });
    expect(spec.Labels).toEqual({ keep: 'updated', new: 'x' });
    expect(spec.TaskTemplate?.Placement?.Constraints).toEqual([
      'node.role==worker',
      'node.labels.zone==a',
    ]);
    expect(spec.TaskTemplate?.ContainerSpec?.Labels).toEqual({ c: '1' });
  });

  it('placement preferences: add and rm by descriptor', () => {
    const once = applyServiceUpdate(current, {
      placementPrefAdd: ['spread=node.labels.zone', 'spread=node.labels.rack'],
    });
    const twice = applyServiceUpdate(once, { placementPrefRm: ['spread=node.labels.zone'] });
    expect(twice.TaskTemplate?.Placement?.Preferences).toEqual([
      { Spread: { SpreadDescriptor: 'node.labels.rack' } },
    ]);
  });

  it('ports: rm by target, add replaces the same published port', () => {
    const spec = applyServiceUpdate(current, {
      publishRm: parsePortSpec('443'),
      publishAdd: parsePortSpec('8080:8000'),
    });
    expect(spec.EndpointSpec?.Ports).toEqual([
      { Protocol: 'tcp', TargetPort: 8000, PublishedPort: 8080, PublishMode: 'ingress' },
    ]);
  });

  it('mounts: add replaces the mount at the same target, rm by target', () => {
    const spec = applyServiceUpdate(current, {
      mountAdd: [
        { Target: '/data', Source: 'new', Type: 'volume' },
        { Target: '/tmp', Type: 'tmpfs' },
      ],
    });
    expect(spec.TaskTemplate?.ContainerSpec?.Mounts).toEqual([
      { Target: '/data', Source: 'new', Type: 'volume' },
      { Target: '/tmp', Type: 'tmpfs' },
    ]);
    expect(
      applyServiceUpdate(spec, { mountRm: ['/data'] }).TaskTemplate?.ContainerSpec?.Mounts,
    ).toEqual([{ Target: '/tmp', Type: 'tmpfs' }]);
  });

  it('policies merge into the existing config', () => {
    const spec = applyServiceUpdate(current, {
      updateDelay: 1_000_000_000,
      updateOrder: 'start-first',
    });
    expect(spec.UpdateConfig).toEqual({
      Parallelism: 1,
      Delay: 1_000_000_000,
      Order: 'start-first',
    });
  });

  it('a new --health-cmd replaces a disabled check', () => {
    const spec = applyServiceUpdate(current, { healthCmd: 'curl -f localhost' });
    expect(spec.TaskTemplate?.ContainerSpec?.HealthCheck).toEqual({
      Test: ['CMD-SHELL', 'curl -f localhost'],
    });
  });

  it('replicas on a global service is a usage error', () => {
    expect(() => applyServiceUpdate({ Mode: { Global: {} } }, { replicas: 2 })).toThrow(UsageError);
    expect(
      applyServiceUpdate({ Mode: { ReplicatedJob: { MaxConcurrent: 2 } } }, { replicas: 7 }).Mode,
    ).toEqual({
      ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 7 },
    });
  });
});

describe('helpers', () => {
  it('modeName reads every mode, defaulting to replicated', () => {
    expect(modeName(undefined)).toBe('replicated');
    expect(modeName({ Global: {} })).toBe('global');
    expect(modeName({ ReplicatedJob: {} })).toBe('replicated-job');
    expect(modeName({ GlobalJob: {} })).toBe('global-job');
  });

  it('parsePlacementPref only knows spread', () => {
    expect(parsePlacementPref('spread=node.labels.dc')).toEqual({
      Spread: { SpreadDescriptor: 'node.labels.dc' },
    });
    expect(() => parsePlacementPref('pack=node.labels.dc')).toThrow(/spread is the only strategy/);
    expect(() => parsePlacementPref('spread=')).toThrow(UsageError);
  });

  it('updatePorts keeps unrelated ports and protocols apart', () => {
    const ports = [...parsePortSpec('53:53/udp'), ...parsePortSpec('53:53/tcp')];
    expect(updatePorts(ports, [], parsePortSpec('53/udp'))).toEqual(parsePortSpec('53:53/tcp'));
  });

  it('updateMounts with nothing to do is the identity', () => {
    const mounts = [{ Target: '/a' }];
    expect(updateMounts(mounts, [], [])).toEqual(mounts);
  });
});
