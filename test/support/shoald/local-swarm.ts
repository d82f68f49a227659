import { expect } from 'vitest';
import { ShoaldProcess } from './shoald-process';
import { unixRequest, type UnixResponse } from './unix-http';

/** The task fields the integration tests read, as GET /tasks returns them. */
export interface TaskView {
  ID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt: string;
  DesiredState: string;
  Labels?: Record<string, string>;
  Spec: {
    ContainerSpec?: { Env?: string[]; Command?: string[]; HealthCheck?: { Test?: string[] } };
    ForceUpdate?: number;
  };
  Status: {
    State: string;
    Timestamp: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ExitCode?: number };
  };
}

/** The service fields the integration tests read, as GET /services/{id} returns them. */
export interface ServiceView {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { TaskTemplate: Record<string, unknown> };
  PreviousSpec?: ServiceView['Spec'];
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string };
}

/** Tasks desired running that run. */
export const running = <T extends Pick<TaskView, 'DesiredState' | 'Status'>>(list: T[]): T[] =>
  list.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

export const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A swarm of real shoald processes on this host (process executor): one manager that ran
 * `swarm init` and `workers` that joined it, every node ready; plus the API calls the
 * integration tests share. `spare` daemons are started but not joined, for tests that add a
 * node part way.
 */
export class LocalSwarm {
  private constructor(
    readonly manager: ShoaldProcess,
    readonly workers: ShoaldProcess[],
    readonly spare: ShoaldProcess[],
    private readonly workerToken: string,
  ) {}

  static async start(
    prefix: string,
    opts: { workers: number; spare?: number },
  ): Promise<LocalSwarm> {
    const make = (role: string, i: number) => ShoaldProcess.inTempDir(`${prefix}-${role}${i}-`);
    const manager = await make('m', 0);
    const workers = await Promise.all(Array.from({ length: opts.workers }, (_, i) => make('w', i)));
    const spare = await Promise.all(
      Array.from({ length: opts.spare ?? 0 }, (_, i) => make('s', i)),
    );
    await Promise.all([manager, ...workers, ...spare].map((d) => d.start()));
    const init = await unixRequest(manager.socket, 'POST', '/v1.44/swarm/init', {});
    expect(init.status, init.text).toBe(200);
    const swarm = await unixRequest(manager.socket, 'GET', '/v1.44/swarm');
    const token = (swarm.json as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    const s = new LocalSwarm(manager, workers, spare, token);
    for (const w of workers) await s.join(w);
    await s.waitForReadyNodes(1 + workers.length);
    return s;
  }

  /** A call to the manager's API (or `daemon`'s), under /v1.44. */
  api(method: string, p: string, body?: unknown, daemon = this.manager): Promise<UnixResponse> {
    return unixRequest(daemon.socket, method, `/v1.44${p}`, body);
  }

  /** `swarm join` as a worker. */
  async join(d: ShoaldProcess): Promise<void> {
    const r = await this.api(
      'POST',
      '/swarm/join',
      {
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: '',
        RemoteAddrs: [this.manager.o.listenAddr],
        JoinToken: this.workerToken,
      },
      d,
    );
    expect(r.status, r.text).toBe(200);
  }

  /** The IDs of the nodes whose state is ready. */
  async readyNodes(): Promise<string[]> {
    const nodes = (await this.api('GET', '/nodes')).json as {
      ID: string;
      Status: { State: string };
    }[];
    return nodes.filter((n) => n.Status.State === 'ready').map((n) => n.ID);
  }

  /** Waits by hand (hooks cannot use expect.poll) until `count` nodes are ready. */
  async waitForReadyNodes(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.readyNodes()).length < count && Date.now() < deadline) await settle(100);
    expect(await this.readyNodes()).toHaveLength(count);
  }

  async tasksOf(serviceId: string): Promise<TaskView[]> {
    const filters = encodeURIComponent(JSON.stringify({ service: [serviceId] }));
    const r = await this.api('GET', `/tasks?filters=${filters}`);
    expect(r.status).toBe(200);
    return r.json as TaskView[];
  }

  async service(id: string): Promise<ServiceView> {
    return (await this.api('GET', `/services/${id}`)).json as ServiceView;
  }

  /** POST /services/create; returns the new service's ID. */
  async createService(spec: object): Promise<string> {
    const r = await this.api('POST', '/services/create', spec);
    expect(r.status, r.text).toBe(201);
    return (r.json as { ID: string }).ID;
  }

  /**
   * A replicated service of `replicas` sleepers (`sleep 3600`, Env V=1, restarting at once),
   * with `extra` spec fields on top; returns once all of them run.
   */
  async createSleepers(name: string, replicas: number, extra: object = {}): Promise<string> {
    const id = await this.createService({
      Name: name,
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'], Env: ['V=1'] },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: replicas } },
      ...extra,
    });
    await expect
      .poll(async () => running(await this.tasksOf(id)).length, { timeout: 20_000 })
      .toBe(replicas);
    return id;
  }

  /** `docker service update`: the whole spec, changed, at the version read. */
  async updateService(id: string, change: (spec: ServiceView['Spec']) => void): Promise<void> {
    const current = await this.service(id);
    const spec = structuredClone(current.Spec);
    change(spec);
    const r = await this.api(
      'POST',
      `/services/${id}/update?version=${current.Version.Index}`,
      spec,
    );
    expect(r.status, r.text).toBe(200);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.manager, ...this.workers, ...this.spare].map((d) => d.dispose()));
  }
}

/** A service update that runs `command` (the Args stay) with the single Env `env`. */
export function withCommand(command: string[], env: string) {
  return (spec: ServiceView['Spec']): void => {
    spec.TaskTemplate = {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...(spec.TaskTemplate.ContainerSpec as object),
        Command: command,
        Env: [env],
      },
    };
  };
}
