import { type Task } from '@shoal/api';
import { ReplicatedOrchestrator } from '@shoal/orchestrator';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../api/testing/api-test.harness';
import { type StoredService, type StoredTask, toApiTask } from './stored.types';
import { serviceBody, T0 } from './testing/control.fixtures';

/** What `docker login` + `--with-registry-auth` would send: base64url JSON. */
const AUTH = Buffer.from(
  JSON.stringify({ username: 'ci', password: 'hunter2', serveraddress: 'registry.example:5000' }),
).toString('base64url');

function storedTask(spec: Record<string, unknown>): StoredTask {
  return Object.freeze({
    ID: 'task1',
    Version: { Index: 3 },
    CreatedAt: '2026-03-01T12:00:00.000000000Z',
    UpdatedAt: '2026-03-01T12:00:00.000000000Z',
    ServiceID: 'svc1',
    Slot: 1,
    Spec: spec,
    DesiredState: 'running',
  }) as StoredTask;
}

describe('toApiTask', () => {
  it('drops ContainerSpec.PullOptions and keeps the rest of the spec', () => {
    const stored = storedTask({
      ContainerSpec: {
        Image: 'registry.example:5000/app:1',
        Args: ['serve'],
        PullOptions: { RegistryAuth: AUTH },
      },
      RestartPolicy: { Condition: 'any' },
    });
    const out = toApiTask(stored);
    expect(out.Spec).toEqual({
      ContainerSpec: { Image: 'registry.example:5000/app:1', Args: ['serve'] },
      RestartPolicy: { Condition: 'any' },
    });
    expect(JSON.stringify(out)).not.toContain(AUTH);
    // The stored object is the store's own (frozen) copy: left as it was.
    expect(
      (stored.Spec?.ContainerSpec as { PullOptions?: unknown } | undefined)?.PullOptions,
    ).toEqual({ RegistryAuth: AUTH });
  });

  it('copes with tasks that have no spec or no container spec', () => {
    expect(toApiTask(storedTask({})).Spec).toEqual({});
    const bare = { ...storedTask({}) } as StoredTask;
    delete bare.Spec;
    expect(toApiTask(bare).Spec).toBeUndefined();
  });
});

describe('registry credentials through the API', () => {
  let api: ApiHarness | undefined;
  let orchestrator: ReplicatedOrchestrator | undefined;
  afterEach(async () => {
    orchestrator?.stop();
    orchestrator = undefined;
    await api?.close();
    api = undefined;
  });

  it('reach the tasks in the store, and never GET /tasks or GET /tasks/{id}', async () => {
    api = await startApi();
    const manager = api.runtime.manager();
    orchestrator = new ReplicatedOrchestrator({
      store: manager.store,
      clock: { now: () => T0 },
    });
    orchestrator.start();
    const created = await api.request(
      'POST',
      '/services/create',
      serviceBody('private', { Mode: { Replicated: { Replicas: 2 } } }),
      { 'X-Registry-Auth': AUTH },
    );
    expect(created.status).toBe(201);
    const serviceId = (created.body as { ID: string }).ID;
    await orchestrator.settled();

    const stored = manager.store.view((tx) => ({
      service: tx.get<StoredService>('service', serviceId)!,
      tasks: tx.tasksByService<StoredTask>(serviceId),
    }));
    expect(stored.service.RegistryAuth).toBe(AUTH);
    expect(stored.tasks).toHaveLength(2);
    for (const t of stored.tasks) {
      expect(t.Spec?.ContainerSpec).toMatchObject({ PullOptions: { RegistryAuth: AUTH } });
    }

    const list = await api.request('GET', '/v1.44/tasks');
    expect(list.status).toBe(200);
    expect((list.body as Task[]).map((t) => t.ServiceID)).toEqual([serviceId, serviceId]);
    expect(list.text).not.toContain(AUTH);
    expect(list.text).not.toContain('PullOptions');
    for (const t of stored.tasks) {
      const one = await api.request('GET', `/tasks/${t.ID}`);
      expect(one.status).toBe(200);
      expect((one.body as Task).Spec?.ContainerSpec).toEqual({ Image: 'nginx:alpine' });
      expect(one.text).not.toContain(AUTH);
    }
    const service = await api.request('GET', `/services/${serviceId}`);
    expect(service.text).not.toContain(AUTH);
  });
});
