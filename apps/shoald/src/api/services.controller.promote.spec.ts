import { type Service } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceBody } from '../control/testing/control.fixtures';
import { type StoredService } from '../control/stored.types';
import { type ApiHarness, startApi } from './testing/api-test.harness';

describe('POST /services/{id}/promote (Shoal: the canary step)', () => {
  let api: ApiHarness;
  afterEach(async () => {
    await api.close();
  });

  async function canaryPaused(): Promise<string> {
    const res = await api.request(
      'POST',
      '/services/create',
      serviceBody('web', { Labels: { 'shoal.update.canary': '1' } }),
    );
    const id = (res.body as { ID: string }).ID;
    // As the updater leaves it once the canary has run for Monitor.
    await api.runtime.manager().store.update((tx) => {
      const svc = tx.get<StoredService>('service', id)!;
      tx.update<StoredService>('service', {
        ...svc,
        UpdateStatus: {
          State: 'paused',
          StartedAt: '2026-03-01T12:00:00Z',
          Message: 'canary: 1 of 1 tasks updated; waiting for promotion',
          ShoalCanary: { PausedAt: '2026-03-01T12:00:05Z' },
        } as StoredService['UpdateStatus'],
      });
    });
    return id;
  }

  it('promotes (200, empty) with or without ?version, under the /v1.xx prefix too', async () => {
    api = await startApi();
    const id = await canaryPaused();
    const inspect = (await api.request('GET', `/services/${id}`)).body as Service;
    expect(inspect.UpdateStatus).toEqual({
      State: 'paused',
      StartedAt: '2026-03-01T12:00:00Z',
      Message: 'canary: 1 of 1 tasks updated; waiting for promotion',
    });
    const bad = await api.request('POST', `/services/web/promote?version=x`);
    expect(bad.status).toBe(400);
    const ok = await api.request(
      'POST',
      `/v1.44/services/web/promote?version=${inspect.Version!.Index}`,
    );
    expect([ok.status, ok.text]).toEqual([200, '']);
    const after = (await api.request('GET', `/services/${id}`)).body as Service;
    expect(after.UpdateStatus).toEqual({
      State: 'updating',
      StartedAt: '2026-03-01T12:00:00Z',
      Message: 'update in progress',
    });
  });

  it('409 when not waiting for promotion, 404 for an unknown service', async () => {
    api = await startApi();
    await api.request('POST', '/services/create', serviceBody('plain'));
    const conflict = await api.request('POST', '/services/plain/promote');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({
      message:
        'service plain is not waiting for promotion in a canary step: it has no update in progress',
    });
    const missing = await api.request('POST', '/services/nope/promote');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'service nope not found' });
  });
});
