import {
  applyServiceDefaults,
  ConflictError,
  InvalidArgumentError,
  NotImplementedError,
  type Service,
  type ServiceCreateResponse,
  validateServiceSpec,
} from '@shoal/api';
import {
  canaryInProgress,
  isCanaryPause,
  promotedStatus,
  type StoredUpdateStatus,
  taskTemplateKey,
} from '@shoal/orchestrator';
import { type NewObject, rfc3339Nano } from '@shoal/store';
import { type ManagerHandle } from '../manager/swarm-runtime.port';
import { ListFilters } from './list.filters';
import { resolveService } from './resolve';
import {
  checkPortConflicts,
  checkReferences,
  generateServiceName,
  isJob,
  modeKind,
  serviceStatus,
} from './service.rules';
import { NAME_CONFLICT_MESSAGE, updateStore } from './store-error.mapper';
import { mutableCopy, type StoredService, toApiService } from './stored.types';

export const SERVICE_LIST_FILTERS = ['id', 'name', 'label', 'mode', 'runtime'];

/** Docker's texts (swarmkit controlapi/service.go). */
export const RENAME_NOT_SUPPORTED_MESSAGE = 'renaming services is not supported';
export const MODE_CHANGE_NOT_ALLOWED_MESSAGE = 'service mode change is not allowed';
export const MANUAL_ROLLBACK_MESSAGE = 'manually requested rollback';

export function serviceExistsMessage(name: string): string {
  return `${NAME_CONFLICT_MESSAGE}: service ${name} already exists`;
}

export function noPreviousSpecMessage(id: string): string {
  return `service ${id} does not have a previous spec`;
}

/** 409 from POST /services/{id}/promote: the service is not paused in a canary step. */
export function notInCanaryMessage(name: string, status: StoredUpdateStatus | undefined): string {
  const now =
    status?.State === undefined
      ? 'it has no update in progress'
      : status.State === 'paused'
        ? `its update is paused for another reason (${status.Message ?? 'no message'}); a service update resumes it`
        : `its update is ${status.State}`;
  return `service ${name} is not waiting for promotion in a canary step: ${now}`;
}

/** POST /services/{id}/update's body; Docker sends `"Warnings": null` when there are none. */
export interface ServiceWarnings {
  Warnings: string[] | null;
}

export interface ServiceListOptions {
  /** `status=true`: add ServiceStatus (running/desired/completed task counts). */
  status?: boolean;
}

export interface ServiceCreateOptions {
  /** The X-Registry-Auth header, kept for the executor's pulls. */
  registryAuth?: string;
}

export interface ServiceUpdateOptions {
  /** `rollback=previous`: swap back to PreviousSpec and ignore the body. */
  rollback?: boolean;
  /** Whose credentials to keep when no X-Registry-Auth is sent; default 'spec'. */
  registryAuthFrom?: 'spec' | 'previous-spec';
  /** The X-Registry-Auth header. */
  registryAuth?: string;
}

/**
 * /services endpoints (swarmkit controlapi/service.go, moby cluster/services.go).
 *
 * Specs are validated by @shoal/api (400 naming the offending field) and stored with the
 * defaults applied, so the orchestrators read complete specs and `docker service inspect`
 * shows what will actually run. Scaling is a client-side spec update, as in Docker.
 */
export class ServiceControl {
  constructor(private readonly manager: ManagerHandle) {}

  /** GET /services. Filters: id (prefix), name (prefix), label, mode, runtime. */
  async list(rawFilters?: unknown, opts: ServiceListOptions = {}): Promise<Service[]> {
    const f = ListFilters.parse(rawFilters, SERVICE_LIST_FILTERS);
    await this.manager.readBarrier();
    return this.manager.store.view((tx) =>
      tx
        .list<StoredService>('service')
        .filter(
          (s) =>
            f.prefix('id', s.ID) &&
            f.prefix('name', s.Spec.Name) &&
            f.labels('label', s.Spec.Labels) &&
            f.exact('mode', modeKind(s.Spec)) &&
            // Shoal's services all run containers (the validator refuses plugin specs).
            f.exact('runtime', 'container'),
        )
        .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
        .map((s) => {
          const out = toApiService(s);
          if (opts.status) out.ServiceStatus = serviceStatus(tx, s);
          return out;
        }),
    );
  }

  /**
   * GET /services/{id}. `insertDefaults` fills what the stored spec leaves out; specs written
   * by this version are already complete, so it matters for objects from older writers.
   */
  async inspect(ref: string, insertDefaults = false): Promise<Service> {
    await this.manager.readBarrier();
    const service = this.manager.store.view((tx) => resolveService(tx, ref));
    const out = toApiService(service);
    if (insertDefaults && out.Spec) out.Spec = applyServiceDefaults(out.Spec);
    return out;
  }

  /**
   * POST /services/create. A missing name gets a generated one (as Docker does); a taken
   * name → 409 "name conflicts with an existing object: service <name> already exists".
   */
  async create(body: unknown, opts: ServiceCreateOptions = {}): Promise<ServiceCreateResponse> {
    const spec = applyServiceDefaults(validateServiceSpec(this.withGeneratedName(body)));
    const name = spec.Name ?? '';
    const id = this.manager.newId();
    const now = rfc3339Nano(this.manager.clock.now());
    await updateStore(
      this.manager,
      (tx) => {
        // Checked here too (the store checks again at apply, mapped to the same 409) so a
        // taken name fails before the other checks and without a Raft round trip.
        if (tx.getByName('service', name)) throw new ConflictError(serviceExistsMessage(name));
        checkPortConflicts(tx, spec);
        checkReferences(tx, spec);
        const service: NewObject<StoredService> = {
          ID: id,
          Spec: spec,
          // The allocator fills Ports and VirtualIPs when networking lands.
          Endpoint: { Spec: mutableCopy(spec.EndpointSpec ?? {}) },
        };
        if (isJob(spec)) service.JobStatus = { JobIteration: { Index: 0 }, LastExecution: now };
        if (opts.registryAuth) service.RegistryAuth = opts.registryAuth;
        tx.create<StoredService>('service', service);
      },
      `service ${name} already exists`,
    );
    // Docker sends `"Warnings": null` when there are none (the field has no omitempty).
    return { ID: id, Warnings: null };
  }

  /**
   * POST /services/{id}/update?version=N. The body is the complete new spec. The current
   * spec becomes PreviousSpec; `rollback=previous` swaps them back instead and ignores the
   * body (as the API documents). Refused: a stale version (409), a rename or a mode change
   * (501 with Docker's texts: swarmkit answers Unimplemented and moby maps that to 501).
   */
  async update(
    ref: string,
    version: number,
    body: unknown,
    opts: ServiceUpdateOptions = {},
  ): Promise<ServiceWarnings> {
    const rollback = opts.rollback ?? false;
    const authFrom = opts.registryAuthFrom ?? 'spec';
    const requested = rollback ? undefined : applyServiceDefaults(validateServiceSpec(body));
    const now = rfc3339Nano(this.manager.clock.now());

    await updateStore(this.manager, (tx) => {
      const current = resolveService(tx, ref);
      const next = mutableCopy(current);
      next.Version = { Index: version };

      if (rollback) {
        if (!current.PreviousSpec) {
          throw new InvalidArgumentError(noPreviousSpecMessage(current.ID));
        }
        next.Spec = mutableCopy(current.PreviousSpec);
        next.PreviousSpec = mutableCopy(current.Spec);
        setAuth(next, current.PreviousRegistryAuth, current.RegistryAuth);
        next.UpdateStatus = {
          State: 'rollback_started',
          Message: MANUAL_ROLLBACK_MESSAGE,
          StartedAt: now,
        };
      } else {
        const spec = requested!;
        // Exact comparison, as swarmkit: changing the case of a name is a rename too.
        if (spec.Name !== current.Spec.Name) {
          throw new NotImplementedError(RENAME_NOT_SUPPORTED_MESSAGE);
        }
        if (modeKind(spec) !== modeKind(current.Spec)) {
          throw new NotImplementedError(MODE_CHANGE_NOT_ALLOWED_MESSAGE);
        }
        checkPortConflicts(tx, spec, current.ID);
        checkReferences(tx, spec);
        if (authFrom === 'previous-spec' && !opts.registryAuth && !current.PreviousSpec) {
          throw new InvalidArgumentError('service does not have a previous spec');
        }
        const auth =
          opts.registryAuth ??
          (authFrom === 'previous-spec' ? current.PreviousRegistryAuth : current.RegistryAuth);
        next.Spec = spec;
        if (keepsCanary(current, spec)) {
          // The canary step goes on (or stays paused for promotion) when the task template is
          // unchanged: a label or the replica count is not a new version to try. PreviousSpec
          // stays the spec before the update, which is where a canary failure rolls back to.
          setAuth(next, auth, current.PreviousRegistryAuth);
        } else {
          next.PreviousSpec = mutableCopy(current.Spec);
          setAuth(next, auth, current.RegistryAuth);
          // A new spec starts a new update; the updater sets the status when it begins.
          delete next.UpdateStatus;
        }
      }
      next.Endpoint = { ...next.Endpoint, Spec: mutableCopy(next.Spec.EndpointSpec ?? {}) };
      // Every update of a job runs it again, as a new iteration.
      if (next.JobStatus) {
        next.JobStatus = {
          JobIteration: { Index: (current.JobStatus?.JobIteration?.Index ?? 0) + 1 },
          LastExecution: now,
        };
      }
      tx.update<StoredService>('service', next);
    });
    return { Warnings: null };
  }

  /**
   * POST /services/{id}/promote[?version=N] (Shoal's; Docker has no canary): a service paused
   * in its canary step (label `shoal.update.canary`) goes on with its update, StartedAt kept.
   * 409 when it is not waiting for promotion (or `version` is stale), 404 when unknown.
   */
  async promote(ref: string, version?: number): Promise<void> {
    const now = rfc3339Nano(this.manager.clock.now());
    await updateStore(this.manager, (tx) => {
      const current = resolveService(tx, ref);
      const status = current.UpdateStatus as StoredUpdateStatus | undefined;
      if (!isCanaryPause(status)) {
        throw new ConflictError(notInCanaryMessage(current.Spec.Name ?? current.ID, status));
      }
      const next = mutableCopy(current);
      if (version !== undefined) next.Version = { Index: version };
      next.UpdateStatus = promotedStatus(status!, now);
      tx.update<StoredService>('service', next);
    });
  }

  /**
   * DELETE /services/{id}. Only the service goes; its tasks are shut down and reaped by the
   * orchestrators, which see the removal (as in swarmkit).
   */
  async remove(ref: string): Promise<void> {
    await updateStore(this.manager, (tx) => {
      tx.remove('service', resolveService(tx, ref).ID);
    });
  }

  /**
   * Gives a body without a name a generated one. Field names match case-insensitively (Go
   * clients may send `name`), so the existing key is looked up that way and replaced.
   */
  private withGeneratedName(body: unknown): unknown {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const fields = body as Record<string, unknown>;
    const key = Object.keys(fields).find((k) => k.toLowerCase() === 'name');
    const name = key === undefined ? undefined : fields[key];
    if (name !== undefined && name !== null && name !== '') return body;
    const generated = generateServiceName(this.manager.newId, (candidate) =>
      this.manager.store.view((tx) => tx.getByName('service', candidate) !== undefined),
    );
    const rest = { ...fields };
    if (key !== undefined) delete rest[key];
    return { ...rest, Name: generated };
  }
}

/** An update of a service in its canary step that leaves the task template as it is. */
function keepsCanary(current: StoredService, spec: StoredService['Spec']): boolean {
  return (
    canaryInProgress(current) &&
    current.PreviousSpec !== undefined &&
    taskTemplateKey(current.Spec.TaskTemplate) === taskTemplateKey(spec.TaskTemplate)
  );
}

function setAuth(
  service: StoredService,
  auth: string | undefined,
  previous: string | undefined,
): void {
  if (auth) service.RegistryAuth = auth;
  else delete service.RegistryAuth;
  if (previous) service.PreviousRegistryAuth = previous;
  else delete service.PreviousRegistryAuth;
}
