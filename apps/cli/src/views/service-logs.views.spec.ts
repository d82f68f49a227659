import { describe, expect, it } from 'vitest';
import { CommandFailedError } from '../errors/cli.errors';
import { parseSwarmLogLine, renderLogLine, taskLabel } from './service-logs.views';

const CONTEXT =
  'com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1';

describe('parseSwarmLogLine', () => {
  it('takes the task context out of the details, keeping the others', () => {
    const line = parseSwarmLogLine(Buffer.from(`${CONTEXT},env=a%3Db hello world\n`), false);
    expect(line).toEqual({
      context: { nodeId: 'n1', serviceId: 's1', taskId: 't1' },
      details: { env: 'a=b' },
      data: Buffer.from('hello world\n'),
    });
  });

  it('reads the timestamp first when asked for', () => {
    const line = parseSwarmLogLine(
      Buffer.from(`2024-05-01T10:00:00.000000000Z ${CONTEXT} hi\n`),
      true,
    );
    expect(line.timestamp).toBe('2024-05-01T10:00:00.000000000Z');
    expect(line.data.toString()).toBe('hi\n');
  });

  it('fails on a line it cannot attribute to a task', () => {
    expect(() => parseSwarmLogLine(Buffer.from('a=b hi\n'), false)).toThrow(CommandFailedError);
    expect(() => parseSwarmLogLine(Buffer.from('a=b hi\n'), false)).toThrow(/missing node id/);
    expect(() => parseSwarmLogLine(Buffer.from('nospace'), false)).toThrow(
      /invalid context in log message/,
    );
  });
});

describe('taskLabel and renderLogLine', () => {
  const task = {
    serviceName: 'web',
    slot: 2,
    taskId: 'k3x9q1m0b4ad7y2zz0abcdefg',
    nodeName: 'node-1',
  };

  it('names the task as docker does, padded to the widest slot', () => {
    const opts = { noTaskIds: false, noTrunc: false };
    expect(taskLabel(task, opts, 1)).toBe('web.2.k3x9q1m0b4ad@node-1');
    expect(taskLabel(task, opts, 2)).toBe('web.2.k3x9q1m0b4ad@node-1 ');
    expect(taskLabel(task, { ...opts, noTrunc: true }, 1)).toBe(
      'web.2.k3x9q1m0b4ad7y2zz0abcdefg@node-1',
    );
    expect(taskLabel(task, { ...opts, noTaskIds: true }, 1)).toBe('web.2@node-1');
  });

  it('prints the timestamp, the label, the other details when asked for, then the line', () => {
    const line = parseSwarmLogLine(
      Buffer.from(`2024-05-01T10:00:00.000000000Z ${CONTEXT},b=2,a=1 hi\n`),
      true,
    );
    expect(renderLogLine(line, 'web.1.x@n', false).toString()).toBe(
      '2024-05-01T10:00:00.000000000Z web.1.x@n    | hi\n',
    );
    expect(renderLogLine(line, 'web.1.x@n', true).toString()).toBe(
      '2024-05-01T10:00:00.000000000Z web.1.x@n    | a=1,b=2 hi\n',
    );
  });
});
