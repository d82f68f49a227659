import { describe, expect, it } from 'vitest';
import type { Service, Task } from '../api/swarm.types';
import { parsePortSpec } from '../parse/port-spec.parser';
import { portsSummary, replicasSummary, taskName } from './service.views';

const running = (id: string, serviceId: string): Task => ({
  ID: id,
  ServiceID: serviceId,
  DesiredState: 'running',
  Status: { State: 'running' },
});

describe('service list summaries', () => {
  it('replicas default to 1 when the spec leaves them to the daemon', () => {
    expect(replicasSummary({ ID: 's', Spec: {} }, [running('a', 's'), running('b', 'other')])).toBe(
      '1/1',
    );
  });

  it('a per-node cap is shown after the count', () => {
    const svc: Service = {
      ID: 's',
      Spec: {
        Mode: { Replicated: { Replicas: 4 } },
        TaskTemplate: { Placement: { MaxReplicas: 2 } },
      },
    };
    expect(replicasSummary(svc, [])).toBe('0/4 (max 2 per node)');
  });

  it('global jobs count completions against their tasks', () => {
    const svc: Service = { ID: 'g', Spec: { Mode: { GlobalJob: {} } } };
    const tasks: Task[] = [
      { ID: '1', ServiceID: 'g', DesiredState: 'complete', Status: { State: 'complete' } },
      { ID: '2', ServiceID: 'g', DesiredState: 'complete', Status: { State: 'running' } },
    ];
    expect(replicasSummary(svc, tasks)).toBe('1/2 (1/2 completed)');
  });

  it('ports fold consecutive mappings into ranges, per protocol, ingress only', () => {
    const ports = [
      ...parsePortSpec('8082:82'),
      ...parsePortSpec('8080-8081:80-81'),
      ...parsePortSpec('9000:90'),
      ...parsePortSpec('53:53/udp'),
      ...parsePortSpec('54:54/udp'),
      ...parsePortSpec('published=7000,target=70,mode=host'),
      ...parsePortSpec('443'), // not published yet: nothing to show
    ];
    expect(portsSummary(ports)).toBe('*:8080-8082->80-82/tcp, *:9000->90/tcp, *:53-54->53-54/udp');
    expect(portsSummary(undefined)).toBe('');
  });

  it('a gap in the targets breaks a range', () => {
    expect(portsSummary([...parsePortSpec('8080:80'), ...parsePortSpec('8081:90')])).toBe(
      '*:8080->80/tcp, *:8081->90/tcp',
    );
  });

  it('task names use the slot, or the node for global tasks', () => {
    expect(taskName('web', { ID: 't', Slot: 2 })).toBe('web.2');
    expect(taskName('agent', { ID: 't', NodeID: 'n1' })).toBe('agent.n1');
  });
});
