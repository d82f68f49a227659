import { type Service } from '@shoal/api';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, filtersQuery, startApi } from './testing/api-test.harness';
import { serviceBody, storedServices } from '../control/testing/control.fixtures';

type Msg = { message: string };

describe('ServicesController', () => {
  let api: ApiHarness;
  afterEach(async () => {
    await api.close();
  });

  async function create(name: string, extra = {}): Promise<string> {
    const res = await api.request('POST', '/services/create', serviceBody(name, extra));
    expect(res.status).toBe(201);
    return (res.body as { ID: string }).ID;
  }

  it('creates (201 {ID, Warnings: null}), lists, inspects and removes', async () => {
    api = await startApi();
    const created = await api.request('POST', '/v1.44/services/create', serviceBody('web'));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ ID: expect.stringMatching(/^[0-9a-z]{25}$/), Warnings: null });
    const id = (created.body as { ID: string }).ID;

    const list = await api.request('GET', '/services');
    expect(list.status).toBe(200);
    expect((list.body as Service[]).map((s) => s.ID)).toEqual([id]);

    const inspect = await api.request('GET', `/v1.24/services/web`);
    expect(inspect.status).toBe(200);
    const svc = inspect.body as Service;
    expect(svc).toMatchObject({
      ID: id,
      Version: { Index: expect.any(Number) },
      CreatedAt: '2026-03-01T12:00:00.250000000Z',
      Spec: {
        Name: 'web',
        Mode: { Replicated: { Replicas: 1 } },
        UpdateConfig: { Parallelism: 1 },
        EndpointSpec: { Mode: 'vip' },
      },
      Endpoint: { Spec: { Mode: 'vip' } },
    });
    expect(svc).not.toHaveProperty('PreviousSpec');

    const removed = await api.request('DELETE', `/services/${id.slice(0, 5)}`);
    expect([removed.status, removed.text]).toEqual([200, '']);
    const gone = await api.request('GET', `/services/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ message: `service ${id} not found` });
  });

  it('filters the list and reports task counts with status=true', async () => {
    api = await startApi();
    await create('web', { Labels: { tier: 'front' } });
    await create('worker', { Mode: { Global: {} } });
    const byLabel = await api.request(
      'GET',
      `/services?${filtersQuery({ label: ['tier=front'] })}`,
    );
    expect((byLabel.body as Service[]).map((s) => s.Spec?.Name)).toEqual(['web']);
    const byMode = await api.request('GET', `/services?${filtersQuery({ mode: ['global'] })}`);
    expect((byMode.body as Service[]).map((s) => s.Spec?.Name)).toEqual(['worker']);
    const withStatus = await api.request('GET', '/services?status=true');
    for (const s of withStatus.body as Service[]) expect(s.ServiceStatus).toBeDefined();
    const badFilter = await api.request('GET', `/services?${filtersQuery({ nope: ['x'] })}`);
    expect(badFilter.status).toBe(400);
    const badJson = await api.request('GET', '/services?filters=%7Bnope');
    expect(badJson.status).toBe(400);
    const badStatus = await api.request('GET', '/services?status=perhaps');
    expect(badStatus.status).toBe(400);
  });

  it('updates with ?version, keeping PreviousSpec; 409 when stale; 400 without a version', async () => {
    api = await startApi();
    const id = await create('web');
    const v = (await api.request('GET', `/services/${id}`)).body as Service;
    const spec = { ...v.Spec, Mode: { Replicated: { Replicas: 4 } } };

    const missing = await api.request('POST', `/services/${id}/update`, spec);
    expect(missing.status).toBe(400);
    expect((missing.body as Msg).message).toContain('version');
    for (const bad of ['abc', '-1', '1.5']) {
      const r = await api.request('POST', `/services/${id}/update?version=${bad}`, spec);
      expect(r.status).toBe(400);
    }

    const ok = await api.request('POST', `/services/web/update?version=${v.Version!.Index}`, spec);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ Warnings: null });
    const after = (await api.request('GET', `/services/${id}`)).body as Service;
    expect(after.Spec?.Mode).toEqual({ Replicated: { Replicas: 4 } });
    expect(after.PreviousSpec?.Mode).toEqual({ Replicated: { Replicas: 1 } });

    const stale = await api.request(
      'POST',
      `/services/${id}/update?version=${v.Version!.Index}`,
      spec,
    );
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({ message: 'update out of sequence' });
    expect((await api.request('GET', `/services/${id}`)).body).toEqual(after);

    const rollback = await api.request(
      'POST',
      `/services/${id}/update?version=${after.Version!.Index}&rollback=previous`,
      after.Spec,
    );
    expect(rollback.status).toBe(200);
    const rolled = (await api.request('GET', `/services/${id}`)).body as Service;
    expect(rolled.Spec?.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(rolled.UpdateStatus?.State).toBe('rollback_started');

    const rename = await api.request(
      'POST',
      `/services/${id}/update?version=${rolled.Version!.Index}`,
      { ...rolled.Spec, Name: 'other' },
    );
    expect(rename.status).toBe(501);
    expect(rename.body).toEqual({ message: 'renaming services is not supported' });
    const badFrom = await api.request(
      'POST',
      `/services/${id}/update?version=${rolled.Version!.Index}&registryAuthFrom=elsewhere`,
      rolled.Spec,
    );
    expect(badFrom.status).toBe(400);
  });

  it('keeps X-Registry-Auth out of every answer', async () => {
    api = await startApi();
    const res = await api.request('POST', '/services/create', serviceBody('private'), {
      'X-Registry-Auth': 'eyJ1c2VybmFtZSI6ImEifQ==',
    });
    expect(res.status).toBe(201);
    const id = (res.body as { ID: string }).ID;
    expect(api.runtime.manager().store.view((tx) => tx.get('service', id))).toMatchObject({
      RegistryAuth: 'eyJ1c2VybmFtZSI6ImEifQ==',
    });
    expect((await api.request('GET', `/services/${id}`)).text).not.toContain('eyJ1c2Vy');
    expect((await api.request('GET', '/services')).text).not.toContain('eyJ1c2Vy');
  });

  it('inserts defaults on inspect when asked', async () => {
    api = await startApi();
    await api.runtime.manager().store.update((tx) => {
      tx.create('service', { ID: 'legacy', Spec: serviceBody('legacy') });
    });
    const plain = (await api.request('GET', '/services/legacy')).body as Service;
    expect(plain.Spec?.UpdateConfig).toBeUndefined();
    const filled = (await api.request('GET', '/services/legacy?insertDefaults=true'))
      .body as Service;
    expect(filled.Spec?.UpdateConfig).toMatchObject({ Parallelism: 1, FailureAction: 'pause' });
    expect((await api.request('GET', '/services/legacy?insertDefaults=sure')).status).toBe(400);
  });

  it("answers 503 with Docker's text when the node is not in a swarm", async () => {
    api = await startApi({ init: false });
    for (const [method, path] of [
      ['GET', '/services'],
      ['GET', '/services/x'],
      ['DELETE', '/services/x'],
    ] as const) {
      const res = await api.request(method, path);
      expect(res.status).toBe(503);
      expect((res.body as Msg).message).toMatch(/^This node is not a swarm manager/);
    }
    const create = await api.request('POST', '/services/create', serviceBody('web'));
    expect(create.status).toBe(503);
  });

  it('answers 400 for bodies that are not a ServiceSpec object', async () => {
    api = await startApi();
    for (const body of ['[]', '"web"', '{bad json', '']) {
      const res = await api.request('POST', '/services/create', body);
      expect(res.status).toBe(400);
      expect((res.body as Msg).message.length).toBeGreaterThan(0);
    }
    expect(storedServices(api.runtime.manager())).toEqual([]);
  });
});

/**
 * Property: whatever invalid ServiceSpec a client POSTs, the daemon answers 4xx with a message
 * naming what was wrong, keeps serving, and the stored services do not change.
 */
describe('ServicesController with invalid specs (property)', () => {
  let api: ApiHarness;
  let existingId: string;
  beforeAll(async () => {
    api = await startApi({ seed: 99 });
    const res = await api.request('POST', '/services/create', serviceBody('taken'));
    existingId = (res.body as { ID: string }).ID;
  });
  afterAll(async () => {
    await api.close();
  });

  const badCount = fc.oneof(
    fc.integer({ min: -1_000_000, max: -1 }),
    fc.double({ min: 0.1, max: 100, noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.constantFrom('3', 'many', true, [], {}),
  );
  const badDuration = fc.oneof(
    fc.integer({ min: -1e12, max: -1 }),
    fc.constantFrom('5s', '1m', 1.5, false, [1]),
  );
  const badPort = fc.oneof(
    fc.integer({ min: 65536, max: 1_000_000 }),
    fc.integer({ min: -1000, max: 0 }),
    fc.constantFrom('80', 80.5, 'http'),
  );
  const modeNames = ['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const;
  const emptyMode: Record<(typeof modeNames)[number], object> = {
    Replicated: { Replicas: 1 },
    Global: {},
    ReplicatedJob: {},
    GlobalJob: {},
  };
  const badConstraint = fc.constantFrom(
    'node.role',
    'node.role==boss',
    '==manager',
    'node.labels.zone ~= a',
    'node.hostname=x',
    'node.labels.a==b;c',
    'engine.labels.x!=',
  );
  const specFields = new Set([
    'name', 'labels', 'tasktemplate', 'mode', 'updateconfig', 'rollbackconfig', 'networks', 'endpointspec',
  ]); // prettier-ignore
  const unknownKey = fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/)
    .filter((k) => !specFields.has(k.toLowerCase()));

  /** [spec, token the error message must contain, whether only create applies]. */
  type Case = [Record<string, unknown>, string, boolean];
  const base = () => serviceBody('fresh') as Record<string, unknown>;
  const invalidSpec: fc.Arbitrary<Case> = fc.oneof(
    badCount.map((r): Case => [
      { ...base(), Mode: { Replicated: { Replicas: r } } },
      'Replicas',
      false,
    ]),
    fc
      .subarray([...modeNames], { minLength: 2 })
      .map((ms): Case => [
        { ...base(), Mode: Object.fromEntries(ms.map((m) => [m, emptyMode[m]])) },
        'Mode',
        false,
      ]),
    fc
      .tuple(
        fc.constantFrom('UpdateConfig', 'RollbackConfig'),
        fc.constantFrom('Delay', 'Monitor'),
        badDuration,
      )
      .map(([section, field, d]): Case => [
        { ...base(), [section]: { [field]: d } },
        `${section}.${field}`,
        false,
      ]),
    badDuration.map((d): Case => [
      { ...base(), TaskTemplate: { ContainerSpec: { Image: 'x' }, RestartPolicy: { Delay: d } } },
      'RestartPolicy.Delay',
      false,
    ]),
    badConstraint.map((c): Case => [
      {
        ...base(),
        TaskTemplate: { ContainerSpec: { Image: 'x' }, Placement: { Constraints: [c] } },
      },
      'Constraints[0]',
      false,
    ]),
    fc
      .tuple(fc.constantFrom('TargetPort', 'PublishedPort'), badPort)
      .filter(([field, p]) => !(field === 'PublishedPort' && p === 0))
      .map(([field, p]): Case => [
        { ...base(), EndpointSpec: { Ports: [{ TargetPort: 80, [field]: p }] } },
        field,
        false,
      ]),
    fc
      .constantFrom(['Protocol', 'icmp'], ['PublishMode', 'nat'])
      .map(([field, v]): Case => [
        { ...base(), EndpointSpec: { Ports: [{ TargetPort: 80, [field!]: v }] } },
        field!,
        false,
      ]),
    unknownKey.map((k): Case => [{ ...base(), [k]: 1 }, k, false]),
    unknownKey.map((k): Case => [
      { ...base(), TaskTemplate: { ContainerSpec: { Image: 'x', [k]: 'y' } } },
      k,
      false,
    ]),
    fc.constantFrom('taken', 'TAKEN', 'Taken').map((n): Case => [{ ...base(), Name: n }, n, true]),
  );

  it('answers 4xx naming the problem, keeps serving, and changes no stored service', async () => {
    const manager = api.runtime.manager();
    const before = storedServices(manager);
    await fc.assert(
      fc.asyncProperty(invalidSpec, fc.boolean(), async ([spec, token, createOnly], viaUpdate) => {
        const version = before[0]!.Version.Index;
        const update = viaUpdate && !createOnly;
        const res = update
          ? await api.request('POST', `/services/${existingId}/update?version=${version}`, {
              ...spec,
              Name: 'taken',
            })
          : await api.request('POST', '/services/create', spec);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect((res.body as Msg).message).toContain(token);
        expect(storedServices(manager)).toEqual(before);
      }),
      { numRuns: 150, seed: 20260301 },
    );
    // Still serving, with the same services.
    const ping = await api.request('GET', '/_ping');
    expect([ping.status, ping.text]).toEqual([200, 'OK']);
    const list = await api.request('GET', '/services');
    expect((list.body as Service[]).map((s) => s.ID)).toEqual([existingId]);
  });
});
