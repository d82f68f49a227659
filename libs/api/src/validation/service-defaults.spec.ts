import { describe, expect, it } from 'vitest';
import { type ServiceSpec } from '../swarm/service.types';
import { applyServiceDefaults } from './service-defaults';
import { validateServiceSpec } from './service-spec.validator';

const minimal: ServiceSpec = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx' } } };

describe('applyServiceDefaults', () => {
  it('fills what dockerd fills for a minimal spec', () => {
    expect(applyServiceDefaults(minimal)).toEqual({
      Name: 'web',
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx' },
        RestartPolicy: { Condition: 'any', Delay: 5e9, MaxAttempts: 0 },
        ForceUpdate: 0,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 1 } },
      UpdateConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: 'pause',
        Monitor: 5e9,
        MaxFailureRatio: 0,
        Order: 'stop-first',
      },
      RollbackConfig: {
        Parallelism: 1,
        Delay: 0,
        FailureAction: 'pause',
        Monitor: 5e9,
        MaxFailureRatio: 0,
        Order: 'stop-first',
      },
      EndpointSpec: { Mode: 'vip' },
    });
  });

  it('fills only missing fields and keeps the rest', () => {
    const spec = applyServiceDefaults({
      ...minimal,
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx' },
        RestartPolicy: { Condition: 'none', Window: 1e9 },
        ForceUpdate: 3,
      },
      Mode: { Replicated: {} },
      UpdateConfig: { Parallelism: 0, Order: 'start-first' },
      RollbackConfig: { FailureAction: 'continue' },
      EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishMode: 'host' }] },
    });
    expect(spec.TaskTemplate?.RestartPolicy).toEqual({
      Condition: 'none',
      Delay: 5e9,
      MaxAttempts: 0,
      Window: 1e9,
    });
    expect(spec.TaskTemplate?.ForceUpdate).toBe(3);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 0, Order: 'start-first', Monitor: 5e9 });
    expect(spec.RollbackConfig).toMatchObject({ FailureAction: 'continue', Parallelism: 1 });
    expect(spec.EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'tcp', PublishMode: 'host', TargetPort: 80 }],
    });
  });

  it('keeps global mode, and gives jobs no update config and on-failure restarts', () => {
    expect(applyServiceDefaults({ ...minimal, Mode: { Global: {} } }).Mode).toEqual({ Global: {} });
    const job = applyServiceDefaults({ ...minimal, Mode: { ReplicatedJob: { MaxConcurrent: 3 } } });
    expect(job.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 3 } });
    expect(job.UpdateConfig).toBeUndefined();
    expect(job.RollbackConfig).toBeUndefined();
    expect(job.TaskTemplate?.RestartPolicy?.Condition).toBe('on-failure');
    expect(applyServiceDefaults({ ...minimal, Mode: { ReplicatedJob: {} } }).Mode).toEqual({
      ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 },
    });
  });

  it('does not modify its input, and its output is still valid', () => {
    const input = structuredClone(minimal);
    const output = applyServiceDefaults(input);
    expect(input).toEqual(minimal);
    expect(validateServiceSpec(output)).toEqual(output);
    expect(applyServiceDefaults(output)).toEqual(output);
  });
});
