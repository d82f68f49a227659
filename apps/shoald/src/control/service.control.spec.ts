import { applyServiceDefaults, type ServiceSpec } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import {
  MODE_CHANGE_NOT_ALLOWED_MESSAGE,
  noPreviousSpecMessage,
  RENAME_NOT_SUPPORTED_MESSAGE,
  ServiceControl,
  serviceExistsMessage,
} from './service.control';
import { type StoredService } from './stored.types';
import {
  addTask,
  rejects,
  serviceBody,
  startSwarm,
  storedServices,
} from './testing/control.fixtures';

async function setup() {
  const s = await startSwarm();
  return { ...s, control: new ServiceControl(s.manager) };
}

function stored(s: { manager: Awaited<ReturnType<typeof startSwarm>>['manager'] }, id: string) {
  return s.manager.store.view((tx) => tx.get<StoredService>('service', id))!;
}

describe('ServiceControl.create', () => {
  it('stores the validated spec with the defaults applied and answers {ID, Warnings: null}', async () => {
    const s = await setup();
    const res = await s.control.create(serviceBody('web'));
    expect(res).toEqual({ ID: expect.stringMatching(/^[0-9a-z]{25}$/), Warnings: null });
    const svc = stored(s, res.ID);
    expect(svc.Spec).toEqual(applyServiceDefaults(serviceBody('web')));
    expect(svc.Spec).toMatchObject({
      Mode: { Replicated: { Replicas: 1 } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'pause' },
      TaskTemplate: { RestartPolicy: { Condition: 'any' } },
    });
    expect(svc.Endpoint).toEqual({ Spec: { Mode: 'vip' } });
    expect(svc.PreviousSpec).toBeUndefined();
    expect(svc.JobStatus).toBeUndefined();
    expect(svc.CreatedAt).toBe('2026-03-01T12:00:00.250000000Z');
  });

  it('passes the read barrier before its transaction reads, as a follower must', async () => {
    const s = await setup();
    // A write acknowledged elsewhere, which this manager only learns at the barrier.
    s.manager.readBarrier = async () => {
      if (storedServices(s.manager).length > 0) return;
      await s.manager.store.update((tx) => {
        tx.create<StoredService>('service', { ID: 'elsewhere', Spec: serviceBody('web') });
      });
    };
    const err = await rejects(s.control.create(serviceBody('web')));
    expect([err.status, err.message]).toEqual([409, serviceExistsMessage('web')]);
  });

  it('generates a name when none is given, as dockerd does', async () => {
    const s = await setup();
    const a = await s.control.create({ TaskTemplate: { ContainerSpec: { Image: 'redis' } } });
    const b = await s.control.create({
      Name: '',
      TaskTemplate: { ContainerSpec: { Image: 'redis' } },
    });
    const names = [stored(s, a.ID).Spec.Name, stored(s, b.ID).Spec.Name];
    for (const n of names) expect(n).toMatch(/^[a-z]+_[a-z]+\d*$/);
    expect(names[0]).not.toBe(names[1]);
  });

  it('reads the name case-insensitively, as Go clients may send `name`', async () => {
    const s = await setup();
    const { ID } = await s.control.create({
      name: 'lower',
      TaskTemplate: { ContainerSpec: { Image: 'x' } },
    });
    expect(stored(s, ID).Spec.Name).toBe('lower');
    const gen = await s.control.create({
      name: '',
      TaskTemplate: { ContainerSpec: { Image: 'x' } },
    });
    expect(stored(s, gen.ID).Spec.Name).toMatch(/^[a-z]+_[a-z]+\d*$/);
  });

  it("refuses a taken name (case-insensitively) with 409 and Docker's text", async () => {
    const s = await setup();
    await s.control.create(serviceBody('web'));
    const before = storedServices(s.manager);
    for (const name of ['web', 'WEB']) {
      const err = await rejects(s.control.create(serviceBody(name)));
      expect(err.status).toBe(409);
      expect(err.message).toBe(serviceExistsMessage(name));
      expect(err.message).toMatch(/^name conflicts with an existing object: service/);
    }
    expect(storedServices(s.manager)).toEqual(before);
  });

  it('refuses invalid specs with 400 naming the field', async () => {
    const s = await setup();
    const cases: [unknown, string][] = [
      [serviceBody('a', { Mode: { Replicated: { Replicas: -1 } } }), 'Replicas'],
      [serviceBody('a', { Mode: { Replicated: {}, Global: {} } }), 'Mode'],
      [{ Name: 'a', TaskTemplate: { ContainerSpec: {} } }, 'Image'],
      [{ ...serviceBody('a'), Bogus: 1 }, 'Bogus'],
      [serviceBody('a b'), 'Name'],
    ];
    for (const [body, field] of cases) {
      const err = await rejects(s.control.create(body));
      expect(err.status).toBe(400);
      expect(err.message).toContain(field);
    }
    expect(storedServices(s.manager)).toEqual([]);
  });

  it('refuses an ingress port another service publishes, but not a host port', async () => {
    const s = await setup();
    const ports = (p: number, mode: 'ingress' | 'host' = 'ingress') =>
      ({
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: p, PublishMode: mode }] },
      }) satisfies ServiceSpec;
    const a = await s.control.create(serviceBody('a', ports(8080)));
    const err = await rejects(s.control.create(serviceBody('b', ports(8080))));
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      `port '8080' is already in use by service 'a' (${a.ID}) as an ingress port`,
    );
    const host = await rejects(s.control.create(serviceBody('c', ports(8080, 'host'))));
    expect(host.message).toContain('as an ingress port');
    // Host-mode ports may repeat across services; the scheduler spreads them.
    await s.control.create(serviceBody('d', ports(9090, 'host')));
    await s.control.create(serviceBody('e', ports(9090, 'host')));
    const ing = await rejects(s.control.create(serviceBody('f', ports(9090))));
    expect(ing.message).toContain('as a host-published port');
    // Another protocol is another port.
    await s.control.create(
      serviceBody('g', {
        EndpointSpec: { Ports: [{ TargetPort: 53, PublishedPort: 8080, Protocol: 'udp' }] },
      }),
    );
  });

  it('refuses references to secrets and configs that do not exist', async () => {
    const s = await setup();
    await s.manager.store.update((tx) => {
      tx.create('secret', { ID: 'sec1', Spec: { Name: 'db-pass' } });
    });
    const withSecrets = (names: [string, string][]) =>
      serviceBody('a', {
        TaskTemplate: {
          ContainerSpec: {
            Image: 'x',
            Secrets: names.map(([id, name]) => ({
              SecretID: id,
              SecretName: name,
              File: { Name: name, UID: '0', GID: '0', Mode: 292 },
            })),
          },
        },
      });
    const one = await rejects(s.control.create(withSecrets([['nope', 'missing']])));
    expect([one.status, one.message]).toEqual([400, 'secret not found: missing']);
    const two = await rejects(
      s.control.create(
        withSecrets([
          ['nope', 'm1'],
          ['sec1', 'wrong-name'],
        ]),
      ),
    );
    expect(two.message).toBe('secrets not found: m1, wrong-name');
    await s.control.create(withSecrets([['sec1', 'db-pass']]));
    const cfg = await rejects(
      s.control.create(
        serviceBody('b', {
          TaskTemplate: {
            ContainerSpec: {
              Image: 'x',
              Configs: [{ ConfigID: 'c', ConfigName: 'app.conf', File: { Name: '/app.conf' } }],
            },
          },
        }),
      ),
    );
    expect(cfg.message).toBe('config not found: app.conf');
  });

  it('gives jobs a JobStatus and keeps registry credentials out of API answers', async () => {
    const s = await setup();
    const { ID } = await s.control.create(
      serviceBody('job', { Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 4 } } }),
      { registryAuth: 'e30=' },
    );
    expect(stored(s, ID).JobStatus).toEqual({
      JobIteration: { Index: 0 },
      LastExecution: '2026-03-01T12:00:00.250000000Z',
    });
    expect(stored(s, ID).RegistryAuth).toBe('e30=');
    const shown = await s.control.inspect(ID);
    expect(shown).not.toHaveProperty('RegistryAuth');
    expect((await s.control.list())[0]).not.toHaveProperty('RegistryAuth');
  });
});

describe('ServiceControl.list and inspect', () => {
  async function three() {
    const s = await setup();
    const web = await s.control.create(
      serviceBody('web', { Labels: { tier: 'front', env: 'prod' } }),
    );
    const api = await s.control.create(serviceBody('web-api', { Labels: { tier: 'back' } }));
    const mon = await s.control.create(serviceBody('monitor', { Mode: { Global: {} } }));
    return { ...s, web: web.ID, api: api.ID, mon: mon.ID };
  }

  it.each([
    [{}, ['web', 'web-api', 'monitor']],
    [{ name: ['web'] }, ['web', 'web-api']],
    [{ name: ['web-', 'mon'] }, ['web-api', 'monitor']],
    [{ label: ['tier'] }, ['web', 'web-api']],
    [{ label: ['tier=front'] }, ['web']],
    [{ label: ['tier=front', 'env=dev'] }, []],
    [{ mode: ['global'] }, ['monitor']],
    [{ mode: ['replicated'] }, ['web', 'web-api']],
    [{ mode: ['replicated-job'] }, []],
    [{ runtime: ['container'] }, ['web', 'web-api', 'monitor']],
    [{ runtime: ['plugin'] }, []],
  ])('filters %j', async (f, names) => {
    const s = await three();
    const got = await s.control.list(JSON.stringify(f));
    expect(got.map((x) => x.Spec?.Name).sort()).toEqual([...names].sort());
    expect(got.map((x) => x.ID)).toEqual(got.map((x) => x.ID).sort());
  });

  it('filters by ID prefix, and takes the {"value": true} form of filters', async () => {
    const s = await three();
    const got = await s.control.list(JSON.stringify({ id: { [s.mon.slice(0, 6)]: true } }));
    expect(got.map((x) => x.ID)).toEqual([s.mon]);
  });

  it('refuses unknown filters with 400', async () => {
    const s = await three();
    const err = await rejects(s.control.list(JSON.stringify({ colour: ['x'] })));
    expect(err.status).toBe(400);
    expect(err.message).toContain('colour');
  });

  it('adds ServiceStatus from the tasks when asked', async () => {
    const s = await three();
    await addTask(s.manager, { ID: 't1', ServiceID: s.web }, 'running');
    await addTask(s.manager, { ID: 't2', ServiceID: s.web, Slot: 2 }, 'starting');
    await addTask(s.manager, { ID: 't3', ServiceID: s.mon, NodeID: 'n1', Slot: 0 }, 'running');
    await addTask(
      s.manager,
      { ID: 't4', ServiceID: s.mon, NodeID: 'n2', Slot: 0, DesiredState: 'shutdown' },
      'shutdown',
    );
    const got = new Map(
      (await s.control.list(undefined, { status: true })).map((x) => [x.Spec?.Name, x]),
    );
    expect(got.get('web')!.ServiceStatus).toEqual({
      RunningTasks: 1,
      DesiredTasks: 1,
      CompletedTasks: 0,
    });
    expect(got.get('monitor')!.ServiceStatus).toEqual({
      RunningTasks: 1,
      DesiredTasks: 1,
      CompletedTasks: 0,
    });
    expect(got.get('web-api')!.ServiceStatus).toEqual({
      RunningTasks: 0,
      DesiredTasks: 1,
      CompletedTasks: 0,
    });
    expect((await s.control.list())[0]).not.toHaveProperty('ServiceStatus');
  });

  it('inspects by ID, name (case-insensitively) and unique ID prefix, after a read barrier', async () => {
    const s = await three();
    const barriers = s.manager.readBarriers;
    expect((await s.control.inspect(s.web)).Spec?.Name).toBe('web');
    expect(s.manager.readBarriers).toBe(barriers + 1);
    expect((await s.control.inspect('WEB-API')).ID).toBe(s.api);
    expect((await s.control.inspect(s.mon.slice(0, 10))).ID).toBe(s.mon);
    const err = await rejects(s.control.inspect('nothing'));
    expect([err.status, err.message]).toEqual([404, 'service nothing not found']);
  });

  it('reports an ambiguous ID prefix with 400', async () => {
    const s = await setup();
    // Create until two IDs share a first character.
    const ids: string[] = [];
    let shared: string | undefined;
    for (let i = 0; !shared; i++) {
      const { ID } = await s.control.create(serviceBody(`s${i}`));
      shared = ids.find((x) => x[0] === ID[0])?.[0];
      ids.push(ID);
    }
    const err = await rejects(s.control.inspect(shared));
    expect(err.status).toBe(400);
    expect(err.message).toBe(`service ${shared} is ambiguous (2 matches found)`);
  });

  it('fills defaults on inspect with insertDefaults, for specs stored without them', async () => {
    const s = await setup();
    // A spec written by an older writer, without defaults.
    await s.manager.store.update((tx) => {
      tx.create<StoredService>('service', { ID: 'old', Spec: serviceBody('old') });
    });
    expect((await s.control.inspect('old')).Spec?.UpdateConfig).toBeUndefined();
    const shown = await s.control.inspect('old', true);
    expect(shown.Spec).toEqual(applyServiceDefaults(serviceBody('old')));
    // The stored object is untouched.
    expect(stored(s, 'old').Spec).toEqual(serviceBody('old'));
  });
});

describe('ServiceControl.update', () => {
  it('replaces the spec, keeps the old one as PreviousSpec and bumps the version', async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    const v1 = stored(s, ID).Version.Index;
    s.clock.advance(2000);
    const res = await s.control.update(
      ID,
      v1,
      serviceBody('web', { Mode: { Replicated: { Replicas: 5 } } }),
    );
    expect(res).toEqual({ Warnings: null });
    const svc = stored(s, ID);
    expect(svc.Version.Index).toBeGreaterThan(v1);
    expect(svc.Spec.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(svc.PreviousSpec).toEqual(applyServiceDefaults(serviceBody('web')));
    expect(svc.UpdatedAt).toBe('2026-03-01T12:00:02.250000000Z');
    expect(svc.CreatedAt).toBe('2026-03-01T12:00:00.250000000Z');
  });

  it('refuses a stale version with 409 and leaves the stored service unchanged', async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    const v1 = stored(s, ID).Version.Index;
    await s.control.update(ID, v1, serviceBody('web', { Labels: { a: '1' } }));
    const current = stored(s, ID);
    const err = await rejects(s.control.update(ID, v1, serviceBody('web', { Labels: { b: '2' } })));
    expect([err.status, err.message]).toEqual([409, 'update out of sequence']);
    expect(stored(s, ID)).toEqual(current);
  });

  it("refuses renames and mode changes with Docker's texts (501, as dockerd)", async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    const v = stored(s, ID).Version.Index;
    const rename = await rejects(s.control.update(ID, v, serviceBody('web2')));
    expect([rename.status, rename.message]).toEqual([501, RENAME_NOT_SUPPORTED_MESSAGE]);
    const mode = await rejects(
      s.control.update(ID, v, serviceBody('web', { Mode: { Global: {} } })),
    );
    expect([mode.status, mode.message]).toEqual([501, MODE_CHANGE_NOT_ALLOWED_MESSAGE]);
    expect(stored(s, ID).Version.Index).toBe(v);
  });

  it('refuses an invalid spec with 400 and an unknown service with 404', async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    const v = stored(s, ID).Version.Index;
    const bad = await rejects(
      s.control.update(ID, v, serviceBody('web', { UpdateConfig: { Delay: -5 } })),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('UpdateConfig.Delay');
    const missing = await rejects(s.control.update('ghost', v, serviceBody('ghost')));
    expect([missing.status, missing.message]).toEqual([404, 'service ghost not found']);
  });

  it('rolls back to PreviousSpec on rollback=previous, ignoring the body', async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    const first = stored(s, ID).Spec;
    const noPrev = await rejects(
      s.control.update(ID, stored(s, ID).Version.Index, {}, { rollback: true }),
    );
    expect([noPrev.status, noPrev.message]).toEqual([400, noPreviousSpecMessage(ID)]);
    await s.control.update(
      ID,
      stored(s, ID).Version.Index,
      serviceBody('web', { Mode: { Replicated: { Replicas: 3 } } }),
    );
    const second = stored(s, ID).Spec;
    await s.control.update(ID, stored(s, ID).Version.Index, { ignored: true }, { rollback: true });
    const svc = stored(s, ID);
    expect(svc.Spec).toEqual(first);
    expect(svc.PreviousSpec).toEqual(second);
    expect(svc.UpdateStatus).toEqual({
      State: 'rollback_started',
      Message: 'manually requested rollback',
      StartedAt: '2026-03-01T12:00:00.250000000Z',
    });
    // A regular update clears the update status for the updater to set again.
    await s.control.update(ID, svc.Version.Index, serviceBody('web'));
    expect(stored(s, ID).UpdateStatus).toBeUndefined();
  });

  it("carries registry credentials: the header, else the current spec's or the previous spec's", async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'), { registryAuth: 'first' });
    const v = () => stored(s, ID).Version.Index;
    const noPrev = await rejects(
      s.control.update(ID, v(), serviceBody('web'), { registryAuthFrom: 'previous-spec' }),
    );
    expect(noPrev.status).toBe(400);
    await s.control.update(ID, v(), serviceBody('web'));
    expect(stored(s, ID)).toMatchObject({ RegistryAuth: 'first', PreviousRegistryAuth: 'first' });
    await s.control.update(ID, v(), serviceBody('web'), { registryAuth: 'second' });
    expect(stored(s, ID)).toMatchObject({ RegistryAuth: 'second', PreviousRegistryAuth: 'first' });
    await s.control.update(ID, v(), serviceBody('web'), { registryAuthFrom: 'previous-spec' });
    expect(stored(s, ID)).toMatchObject({ RegistryAuth: 'first', PreviousRegistryAuth: 'second' });
    await s.control.update(ID, v(), {}, { rollback: true });
    expect(stored(s, ID)).toMatchObject({ RegistryAuth: 'second', PreviousRegistryAuth: 'first' });
  });

  it('starts a new job iteration on every update of a job', async () => {
    const s = await setup();
    const body = serviceBody('job', { Mode: { GlobalJob: {} } });
    const { ID } = await s.control.create(body);
    s.clock.advance(60_000);
    await s.control.update(ID, stored(s, ID).Version.Index, body);
    expect(stored(s, ID).JobStatus).toEqual({
      JobIteration: { Index: 1 },
      LastExecution: '2026-03-01T12:01:00.250000000Z',
    });
  });

  it('lets a service keep its own published ports across an update', async () => {
    const s = await setup();
    const body = serviceBody('web', {
      EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] },
    });
    const { ID } = await s.control.create(body);
    await s.control.update(ID, stored(s, ID).Version.Index, body);
    expect(stored(s, ID).Endpoint?.Spec?.Ports?.[0]?.PublishedPort).toBe(8080);
  });
});

describe('ServiceControl.remove', () => {
  it('removes by any reference and leaves the tasks to the orchestrator', async () => {
    const s = await setup();
    const { ID } = await s.control.create(serviceBody('web'));
    await addTask(s.manager, { ID: 't1', ServiceID: ID });
    await s.control.remove('web');
    expect(storedServices(s.manager)).toEqual([]);
    expect(s.manager.store.view((tx) => tx.get('task', 't1'))).toBeDefined();
    const err = await rejects(s.control.remove('web'));
    expect([err.status, err.message]).toEqual([404, 'service web not found']);
  });
});
