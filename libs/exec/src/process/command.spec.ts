import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH, taskEnv } from './command';

describe('taskEnv', () => {
  it('tells the process who it is, under the spec’s own Env', () => {
    const task = {
      ID: 't1',
      Slot: 2,
      Name: 'web.2.t1',
      ServiceID: 's1',
      NodeID: 'n1',
      ServiceAnnotations: { Name: 'web' },
    };
    expect(taskEnv({ Env: ['A=1', 'SHOAL_TASK_SLOT=override'] }, task)).toEqual({
      PATH: DEFAULT_PATH,
      SHOAL_TASK_ID: 't1',
      SHOAL_TASK_SLOT: 'override',
      SHOAL_TASK_NAME: 'web.2.t1',
      SHOAL_SERVICE_ID: 's1',
      SHOAL_SERVICE_NAME: 'web',
      SHOAL_NODE_ID: 'n1',
      A: '1',
    });
  });

  it('leaves out what a task does not have (a global task has no slot)', () => {
    expect(taskEnv({}, { ID: 't1' })).toEqual({ PATH: DEFAULT_PATH, SHOAL_TASK_ID: 't1' });
  });
});
