/**
 * One manager of the scheduler benchmark, in its own process: shoald's ManagerNode (the
 * replicated store on the Raft driver with its fsynced, encrypted WAL, the gRPC transport
 * over mTLS, and, while it leads, the leader services: orchestrators, scheduler, dispatcher,
 * reaper, enforcer), exactly as the daemon builds it. The benchmark drives it over the IPC
 * channel (see protocol.ts); the steps it times run here, against this process's store,
 * so their times are those of the leader itself.
 *
 *   node --import tsx bench/scheduler/manager.main.ts --id m1 --root DIR --members JSON
 *
 * Its certificates must already be in DIR/<id>/ (StateDir layout). Sends {event:'ready'}
 * once it has joined the cluster and caught up.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type ServiceSpec } from '@shoal/api/swarm';
import { generateDataKey } from '@shoal/ca';
import { createLogger, objectIdGenerator, systemClock } from '@shoal/common';
import { createDaemonRegistry } from '@shoal/metrics';
import { type ReadTx, type StoreEvent } from '@shoal/store';
import { ServiceControl } from '../../apps/shoald/src/control/service.control';
import { type StoredNode, type StoredService } from '../../apps/shoald/src/control/stored.types';
import { ManagerNode } from '../../apps/shoald/src/daemon/manager.node';
import { MetricsServer } from '../../apps/shoald/src/metrics/metrics.server';
import { SHOAL_VERSION } from '../../apps/shoald/src/version';
import { StateDir } from '../../apps/shoald/src/daemon/state-dir';
import { serveDispatcherBridge } from '../../test/sim/agents/dispatcher.bridge';
import { now, sleep } from '../timing';
import { StepProfiler } from './cpu-profile';
import {
  type FromManager,
  type IncrementalResult,
  type IncrementalSample,
  type JoinResult,
  type LoopDelay,
  type ManagerCommand,
  type PlaceResult,
  type StatusResult,
  type ToManager,
} from './protocol';
import { NewTaskWatch, PlacementTally } from './tally';

const PROGRESS_EVERY_MS = 5_000;
const LEADER_POLL_MS = 50;

const { values: args } = parseArgs({
  options: {
    id: { type: 'string' },
    root: { type: 'string' },
    members: { type: 'string' },
    /** Keep a metrics registry, as shoald does with --metrics-addr (see serve-metrics). */
    metrics: { type: 'boolean', default: false },
  },
});
if (!args.id || !args.root || !args.members) throw new Error('--id, --root and --members');
const id = args.id;
const members = JSON.parse(args.members) as { id: string; address: string }[];
const self = members.find((m) => m.id === id);
if (!self) throw new Error(`${id} is not among --members`);

const send = (msg: FromManager) => process.send?.(msg);
// Info: leader changes and the leader services' starts and stops are logged at that level.
const logger = createLogger({ name: `bench-${id}`, level: 'info' });

/** The image every service runs; the recording executor never pulls it. */
const IMAGE = 'sim/idle:latest';

function serviceSpec(name: string, replicas: number): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: IMAGE } },
  };
}

/**
 * Resolves with the first truthy value of `probe`, checked now and at every commit of the
 * kinds named; rejects naming `what` after `timeoutMs`.
 */
function waitForStore<T>(
  manager: ManagerNode,
  what: string,
  kinds: ('node' | 'task' | 'service')[],
  probe: (tx: ReadTx) => T | undefined | false,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cancel = () => {};
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(`${what}: not within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = () => {
      const v = manager.store.view(probe);
      if (v === undefined || v === false) return false;
      clearTimeout(timer);
      cancel();
      resolve(v);
      return true;
    };
    if (check()) return;
    cancel = manager.store.watch((e) => void (e.type === 'commit' && check()), { kinds });
  });
}

/** Follows store events until `done()` says so; rejects with `why()` after `timeoutMs`. */
function follow(
  manager: ManagerNode,
  onEvent: (e: StoreEvent) => void,
  done: () => boolean,
  timeoutMs: number,
  why: () => string,
): { finished: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(why()));
    }, timeoutMs);
    const off = manager.store.watch(
      (e) => {
        try {
          onEvent(e);
        } catch (err) {
          clearTimeout(timer);
          off();
          reject(err as Error);
          return;
        }
        if (!done()) return;
        clearTimeout(timer);
        off();
        resolve();
      },
      { kinds: ['task'] },
    );
    cancel = () => {
      clearTimeout(timer);
      off();
    };
  });
  return { finished, cancel };
}

async function main(): Promise<void> {
  const stateDir = new StateDir(path.join(args.root!, id));
  const registry = args.metrics ? createDaemonRegistry({ version: SHOAL_VERSION }) : undefined;
  const manager = await ManagerNode.start({
    node: {
      nodeId: id,
      clusterId: 'bench',
      role: 'manager',
      listenAddr: self!.address,
      advertiseAddr: self!.address,
    },
    stateDir,
    bootstrap: members,
    dataKey: generateDataKey(),
    clock: systemClock,
    newId: objectIdGenerator(),
    logger,
    metrics: registry,
  });
  const control = new ServiceControl(manager);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let knownLeader = manager.leaderId();
  setInterval(() => {
    const leader = manager.leaderId();
    if (leader === knownLeader) return;
    knownLeader = leader;
    send({ event: 'leader', id, leader });
  }, LEADER_POLL_MS).unref();
  const profiler = new StepProfiler();
  let bridge: { close(): Promise<void> } | undefined;
  let serviceIds: string[] = [];

  type Handlers = {
    [K in ManagerCommand['cmd']]: (c: Extract<ManagerCommand, { cmd: K }>) => Promise<unknown>;
  };
  const handlers: Handlers = {
    'serve-metrics': async () => {
      if (!registry) throw new Error('serve-metrics: this manager was started without --metrics');
      const server = await MetricsServer.start({
        listen: { host: '127.0.0.1', port: 0 },
        registry,
        logger,
      });
      return { port: server.address.port };
    },

    status: async (): Promise<StatusResult> => ({
      leader: manager.isLeader(),
      dispatching: manager.dispatch() !== undefined,
      leaderId: manager.leaderId(),
    }),

    bridge: async (c: { path: string }) => {
      bridge = await serveDispatcherBridge({
        path: c.path,
        current: () => manager.dispatch(),
        // Never this manager's own address: agents would come straight back here.
        leaderAddr: () => (manager.isLeader() ? undefined : manager.leaderAddr()),
        logger,
      });
    },

    join: async (c: { count: number }): Promise<JoinResult> => {
      const ids = Array.from({ length: c.count }, () => manager.newId());
      const t0 = now();
      // As StoreNodeAdmission.admit writes a worker: one store write per node, its state
      // unknown until its agent opens a session. Joins arrive concurrently.
      await Promise.all(
        ids.map((nodeId, i) =>
          manager.store.update((tx) => {
            tx.create<StoredNode>('node', {
              ID: nodeId,
              Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
              Description: {
                Hostname: `sim-${i + 1}`,
                Platform: { Architecture: 'x86_64', OS: 'linux' },
              },
              Status: { State: 'unknown', Addr: `10.0.${(i + 1) >> 8}.${(i + 1) & 255}` },
            } as never);
          }),
        ),
      );
      return { nodeIds: ids, ms: now() - t0 };
    },

    'wait-ready': async (c: { count: number; timeoutMs: number }) => {
      const t0 = now();
      await waitForStore(
        manager,
        `${c.count} nodes ready`,
        ['node'],
        (tx) =>
          tx.list<StoredNode>('node').filter((n) => n.Status?.State === 'ready').length >= c.count,
        c.timeoutMs,
      );
      return { ms: now() - t0 };
    },

    place: async (c: {
      services: number;
      replicas: number;
      concurrency: number;
      timeoutMs: number;
    }) => {
      const tally = new PlacementTally(c.services * c.replicas, now);
      const firstIndex = manager.store.lastIndex;
      const t0 = now();
      const { finished, cancel } = follow(
        manager,
        (e) => tally.onEvent(e),
        () => tally.done,
        c.timeoutMs,
        () =>
          `placement not done within ${c.timeoutMs} ms: ${tally.created} tasks created, ` +
          `${tally.assigned} assigned, ${tally.running} running of ${tally.target}`,
      );
      const progress = setInterval(
        () =>
          send({
            event: 'progress',
            elapsedMs: now() - t0,
            created: tally.created,
            assigned: tally.assigned,
            running: tally.running,
          }),
        PROGRESS_EVERY_MS,
      );
      try {
        // Each create is the control layer's own (validation, defaults, read barrier, one
        // Raft entry), minus HTTP; `concurrency` clients send them, each waiting for its
        // answer before sending the next, as `docker service create` in a loop would.
        serviceIds = new Array<string>(c.services);
        let next = 0;
        const client = async () => {
          for (let i = next++; i < c.services; i = next++) {
            serviceIds[i] = (await control.create(serviceSpec(`bench-${i + 1}`, c.replicas))).ID;
          }
        };
        await Promise.all(Array.from({ length: Math.min(c.concurrency, c.services) }, client));
        const createsMs = now() - t0;
        await finished;
        const rel = (t: number | undefined) => (t === undefined ? NaN : t - t0);
        const result: PlaceResult = {
          serviceIds,
          createsMs,
          at: {
            firstTaskCreated: rel(tally.at.firstTaskCreated),
            allTasksCreated: rel(tally.at.allTasksCreated),
            firstAssigned: rel(tally.at.firstAssigned),
            allAssigned: rel(tally.at.allAssigned),
            firstRunning: rel(tally.at.firstRunning),
            allRunning: rel(tally.at.allRunning),
          },
          entries: manager.store.lastIndex - firstIndex,
          assignCommits: tally.assignCommits,
          runningCommits: tally.runningCommits,
        };
        return result;
      } finally {
        cancel();
        clearInterval(progress);
      }
    },

    incremental: async (c: { samples: number; timeoutMs: number }) => {
      if (serviceIds.length === 0) throw new Error('no services: run place first');
      const deadline = now() + c.timeoutMs;
      const samples: IncrementalSample[] = [];
      for (let i = 0; i < c.samples; i++) {
        const serviceId = serviceIds[i % serviceIds.length]!;
        // `docker service scale`: inspect, then update with the version read.
        const current = await control.inspect(serviceId);
        const spec = structuredClone(current.Spec!) as StoredService['Spec'];
        spec.Mode!.Replicated!.Replicas = (spec.Mode!.Replicated!.Replicas ?? 0) + 1;
        const watch = new NewTaskWatch(serviceId, now);
        const { finished, cancel } = follow(
          manager,
          (e) => watch.onEvent(e),
          () => watch.done,
          Math.max(1, deadline - now()),
          () => `incremental sample ${i + 1}: the new task of ${serviceId} not running in time`,
        );
        const t0 = now();
        try {
          await control.update(serviceId, current.Version!.Index!, spec);
          await finished;
        } finally {
          cancel();
        }
        samples.push({
          serviceId,
          assignedMs: watch.assignedAt! - t0,
          runningMs: watch.runningAt! - t0,
        });
        // A short, varying rest, so samples do not all land at the same phase of the
        // dispatcher's 25 ms status batching or the agents' heartbeats.
        await sleep(20 + Math.random() * 80);
      }
      const result: IncrementalResult = { samples };
      return result;
    },

    'loop-delay': async (): Promise<LoopDelay> => {
      const ms = (ns: number) => ns / 1e6;
      const d = {
        p50: ms(loopDelay.percentile(50)),
        p99: ms(loopDelay.percentile(99)),
        max: ms(loopDelay.max),
      };
      loopDelay.reset();
      return d;
    },

    'profile-start': () => profiler.start(),
    'profile-stop': (c: { file: string }) => profiler.stop(c.file),

    stop: async () => {
      await bridge?.close();
      await manager.stop();
      // Replied to before exiting, so the parent knows this was orderly.
      setImmediate(() => process.exit(0));
    },
  };

  process.on('message', (raw) => {
    const { id: callId, command } = raw as ToManager;
    const handler = handlers[command.cmd] as (c: ManagerCommand) => Promise<unknown>;
    handler(command).then(
      (result) => send({ id: callId, result: result ?? null }),
      (err: unknown) =>
        send({ id: callId, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The parent gone (killed, crashed): nothing would ever stop this process otherwise.
  process.on('disconnect', () => process.exit(1));
  send({ event: 'ready', id });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
