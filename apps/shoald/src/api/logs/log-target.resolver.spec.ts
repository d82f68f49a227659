import { describe, expect, it } from 'vitest';
import { addNode, addTask, serviceBody, startSwarm } from '../../control/testing/control.fixtures';
import { ServiceControl } from '../../control/service.control';
import { parseLogQuery } from './log-query.parser';
import { type LogTarget, refuseUnsupportedOptions, resolveLogTarget } from './log-target.resolver';

async function swarm() {
  const s = await startSwarm();
  const { ID } = await new ServiceControl(s.manager).create(serviceBody('web'));
  const process = { Engine: { Labels: { 'shoal.executor': 'process' } } };
  await addNode(s.manager, { ID: 'w1', Description: { Hostname: 'w1', ...process } });
  await addNode(s.manager, { ID: 'w2', Description: { Hostname: 'w2' } });
  await addTask(s.manager, { ID: 'b', ServiceID: ID, NodeID: 'w1' }, 'complete');
  await addTask(s.manager, { ID: 'a', ServiceID: ID, NodeID: 'w2' }, 'running');
  await addTask(s.manager, { ID: 'c', ServiceID: ID, NodeID: 'w2' }, 'preparing');
  await addTask(s.manager, { ID: 'd', ServiceID: ID }, 'pending');
  const target = (kind: 'service' | 'task', ref: string, follow: boolean) =>
    s.manager.store.view((tx) => resolveLogTarget(tx, kind, ref, follow));
  return { serviceId: ID, target };
}

describe('resolveLogTarget', () => {
  it('takes the tasks that ran, past ones too, in ID order; following, all, with the unscheduled apart', async () => {
    const { serviceId, target } = await swarm();
    const once = target('service', 'web', false);
    expect(once.tasks).toEqual([
      { taskId: 'a', nodeId: 'w2', serviceId },
      { taskId: 'b', nodeId: 'w1', serviceId },
    ]);
    expect(once.unscheduled).toEqual([]);
    expect(once.executors).toEqual(
      new Map([
        ['w2', undefined],
        ['w1', 'process'],
      ]),
    );
    const follow = target('service', serviceId.slice(0, 5), true);
    expect(follow.tasks.map((t) => t.taskId)).toEqual(['a', 'b', 'c']);
    expect(follow.unscheduled).toEqual(['d']);
    expect(target('task', 'b', false).tasks).toEqual([{ taskId: 'b', nodeId: 'w1', serviceId }]);
  });

  it('404s for an unknown reference', async () => {
    const { target } = await swarm();
    expect(() => target('service', 'db', false)).toThrow('service db not found');
    expect(() => target('task', 'zz', false)).toThrow('task zz not found');
  });
});

describe('refuseUnsupportedOptions', () => {
  const target = (...executors: (string | undefined)[]): LogTarget => ({
    tasks: [],
    unscheduled: [],
    tty: false,
    executors: new Map(executors.map((e, i) => [`n${i}`, e])),
  });
  const query = (q: Record<string, string>) => parseLogQuery({ stdout: '1', ...q });

  it('refuses timestamps and since only when every node runs the process executor', () => {
    expect(() => refuseUnsupportedOptions(query({ timestamps: '1' }), target('process'))).toThrow(
      /^invalid query parameter timestamps: /,
    );
    expect(() => refuseUnsupportedOptions(query({ since: '10' }), target('process'))).toThrow(
      /^invalid query parameter since: /,
    );
    // A mix streams: the docker-executor node has timestamps to give.
    refuseUnsupportedOptions(query({ timestamps: '1' }), target('process', 'docker'));
    refuseUnsupportedOptions(query({ timestamps: '1' }), target());
    refuseUnsupportedOptions(query({ tail: '3', follow: '1' }), target('process'));
  });
});
