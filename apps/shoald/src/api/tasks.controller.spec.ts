import { type Task } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, filtersQuery, startApi } from './testing/api-test.harness';
import { addTask, serviceBody } from '../control/testing/control.fixtures';

let api: ApiHarness;
afterEach(async () => {
  await api.close();
});

/** Tasks are written into the store directly until the orchestrator lands. */
async function withTasks(): Promise<string> {
  api = await startApi();
  const created = await api.request('POST', '/services/create', serviceBody('web'));
  const id = (created.body as { ID: string }).ID;
  const manager = api.runtime.manager();
  await addTask(manager, { ID: 'task1', ServiceID: id, NodeID: api.runtime.nodeId()!, Slot: 1 });
  await addTask(
    manager,
    {
      ID: 'task2',
      ServiceID: id,
      NodeID: api.runtime.nodeId()!,
      Slot: 1,
      DesiredState: 'shutdown',
    },
    'shutdown',
  );
  return id;
}

describe('TasksController', () => {
  it('is empty before any task exists', async () => {
    api = await startApi();
    const res = await api.request('GET', '/tasks');
    expect([res.status, res.body]).toEqual([200, []]);
  });

  it('lists tasks with filters', async () => {
    const serviceId = await withTasks();
    const all = (await api.request('GET', '/v1.44/tasks')).body as Task[];
    expect(all.map((t) => t.ID)).toEqual(['task1', 'task2']);
    expect(all[0]).toMatchObject({ ServiceID: serviceId, Slot: 1, Status: { State: 'running' } });
    const running = await api.request(
      'GET',
      `/tasks?${filtersQuery({ service: ['web'], 'desired-state': ['running'] })}`,
    );
    expect((running.body as Task[]).map((t) => t.ID)).toEqual(['task1']);
    const byNode = await api.request('GET', `/tasks?${filtersQuery({ node: ['manager-1'] })}`);
    expect(byNode.body as Task[]).toHaveLength(2);
    const unknownService = await api.request('GET', `/tasks?${filtersQuery({ service: ['db'] })}`);
    expect(unknownService.status).toBe(404);
    expect(unknownService.body).toEqual({ message: 'service db not found' });
    const badState = await api.request(
      'GET',
      `/tasks?${filtersQuery({ 'desired-state': ['zzz'] })}`,
    );
    expect(badState.status).toBe(400);
  });

  it("inspects a task by ID, name or prefix; 404 with Docker's text", async () => {
    await withTasks();
    expect(((await api.request('GET', '/tasks/task1')).body as Task).ID).toBe('task1');
    expect(((await api.request('GET', '/tasks/web.1.task2')).body as Task).ID).toBe('task2');
    const amb = await api.request('GET', '/tasks/task');
    expect(amb.status).toBe(400);
    expect(amb.body).toEqual({ message: 'task task is ambiguous (2 matches found)' });
    const missing = await api.request('GET', '/tasks/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'task nope not found' });
  });
});
