import { type ServiceSpec } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { notInCanaryMessage, ServiceControl } from './service.control';
import { type StoredService } from './stored.types';
import { rejects, serviceBody, startSwarm } from './testing/control.fixtures';

const PAUSED = {
  State: 'paused' as const,
  StartedAt: '2026-03-01T12:00:00Z',
  Message: 'canary: 1 of 3 tasks updated; waiting for promotion',
  ShoalCanary: { PausedAt: '2026-03-01T12:00:05Z' },
};

/** A service updated from app:1 to app:2 with a canary, its status as the updater left it. */
async function setup(status: object | null = PAUSED) {
  const s = await startSwarm();
  const control = new ServiceControl(s.manager);
  const labels = { 'shoal.update.canary': '1' };
  const { ID } = await control.create(serviceBody('web', { Labels: labels }));
  const read = () => s.manager.store.view((tx) => tx.get<StoredService>('service', ID)!);
  const v1 = read();
  const spec: ServiceSpec = {
    ...v1.Spec,
    TaskTemplate: { ...v1.Spec.TaskTemplate, ContainerSpec: { Image: 'app:2' } },
  };
  await control.update(ID, v1.Version.Index, spec);
  await s.manager.store.update((tx) => {
    const svc = tx.get<StoredService>('service', ID)!;
    tx.update<StoredService>('service', { ...svc, UpdateStatus: (status ?? undefined) as never });
  });
  return { ...s, control, id: ID, read };
}

describe('ServiceControl.promote', () => {
  it('lets a canary-paused update go on: updating, StartedAt kept, promotion recorded', async () => {
    const s = await setup();
    await s.control.promote('web');
    const status = s.read().UpdateStatus as typeof PAUSED & { ShoalCanary: object };
    expect(status).toEqual({
      State: 'updating',
      Message: 'update in progress',
      StartedAt: PAUSED.StartedAt,
      ShoalCanary: { PausedAt: PAUSED.ShoalCanary.PausedAt, PromotedAt: expect.any(String) },
    });
    // The marker stays in the store; the API shows Docker's UpdateStatus only.
    expect((await s.control.inspect('web')).UpdateStatus).toEqual({
      State: 'updating',
      Message: 'update in progress',
      StartedAt: PAUSED.StartedAt,
    });
    // Promoted once: a second promote is refused.
    const again = await rejects(s.control.promote('web'));
    expect([again.status, again.message]).toEqual([
      409,
      'service web is not waiting for promotion in a canary step: its update is updating',
    ]);
  });

  it('409 with a clear message when not in a canary pause; 404 unknown; 409 stale version', async () => {
    const none = await setup(null);
    const err = await rejects(none.control.promote('web'));
    expect([err.status, err.message]).toEqual([409, notInCanaryMessage('web', undefined)]);
    expect(err.message).toBe(
      'service web is not waiting for promotion in a canary step: it has no update in progress',
    );
    const failed = await setup({ State: 'paused', Message: 'update paused due to x' });
    const paused = await rejects(failed.control.promote('web'));
    expect(paused.message).toContain('paused for another reason (update paused due to x)');
    expect((await rejects(failed.control.promote('nope'))).status).toBe(404);

    const s = await setup();
    const stale = await rejects(s.control.promote('web', s.read().Version.Index - 1));
    expect([stale.status, stale.message]).toEqual([409, 'update out of sequence']);
    await s.control.promote('web', s.read().Version.Index);
    expect(s.read().UpdateStatus?.State).toBe('updating');
  });
});

describe('ServiceControl.update in a canary step', () => {
  it('keeps the canary (and PreviousSpec) when the task template is unchanged', async () => {
    const s = await setup();
    const before = s.read();
    await s.control.update(s.id, before.Version.Index, {
      ...before.Spec,
      Labels: { ...before.Spec.Labels, team: 'a' },
    });
    const after = s.read();
    expect(after.UpdateStatus).toEqual(PAUSED);
    expect(after.PreviousSpec).toEqual(before.PreviousSpec);
    expect(after.Spec.Labels).toMatchObject({ team: 'a' });
  });

  it('starts over (status cleared, PreviousSpec the canary spec) on a new task template', async () => {
    const s = await setup();
    const before = s.read();
    await s.control.update(s.id, before.Version.Index, {
      ...before.Spec,
      TaskTemplate: { ...before.Spec.TaskTemplate, ContainerSpec: { Image: 'app:3' } },
    });
    const after = s.read();
    expect(after.UpdateStatus).toBeUndefined();
    expect(after.PreviousSpec).toEqual(before.Spec);
  });

  it('keeps Swarm semantics for other pauses: any update resumes them', async () => {
    const s = await setup({ State: 'paused', Message: 'update paused due to x' });
    const before = s.read();
    await s.control.update(s.id, before.Version.Index, before.Spec);
    expect(s.read().UpdateStatus).toBeUndefined();
  });
});
