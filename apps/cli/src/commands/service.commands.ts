/**
 * `shoal service create|update|rollback|scale|rm`: the commands that change services. All but
 * rm then wait for the service to converge, drawing its progress, unless `-d/--detach`.
 */
import { type Command, Option } from 'commander';
import type { Service, ServiceCreateResponse, ServiceUpdateResponse } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import {
  CommandFailedError,
  ConnectionError,
  PartialFailureError,
  UsageError,
} from '../errors/cli.errors';
import { parseScaleSpec } from '../parse/key-value.parser';
import { waitOnService } from '../progress/service-progress.watcher';
import { applyServiceUpdate, buildServiceSpec, modeName } from '../spec/service-spec.builder';
import {
  type CreateServiceFlags,
  SERVICE_MODES,
  type UpdateServiceFlags,
} from '../spec/service-flags.types';
import {
  daemonClient,
  describeError,
  flagsGivenOnCommandLine,
  forEachReportingFailures,
  writeWarnings,
} from './command.support';
import {
  addCommonServiceOptions,
  mountFlag,
  placementPrefFlag,
  publishFlag,
  stringsFlag,
} from './service-options.definition';

export const servicePath = (ref: string): string => `/services/${encodeURIComponent(ref)}`;

/** POST /services/{id}/update against the version just read, so concurrent edits are refused. */
async function postUpdate(
  client: DaemonClient,
  current: Service,
  spec: unknown,
  extraQuery: Record<string, string> = {},
): Promise<ServiceUpdateResponse | undefined> {
  return client.post<ServiceUpdateResponse | undefined>(`${servicePath(current.ID)}/update`, spec, {
    version: current.Version?.Index ?? 0,
    ...extraQuery,
  });
}

function registerCreate(service: Command, ctx: CliContext): void {
  const create = service
    .command('create')
    .description('Create a new service')
    .usage('[options] IMAGE [COMMAND] [ARG...]')
    .argument('<image>', 'image to run')
    .argument('[command...]', "command and arguments, overriding the image's CMD")
    // Everything after IMAGE belongs to the container's command line, as with docker:
    // `service create alpine ls -l` must not read -l as --label.
    .passThroughOptions()
    .option('--name <name>', 'service name')
    .addOption(new Option('--mode <mode>', 'service mode').choices(SERVICE_MODES))
    .option('-e, --env <VAR=value>', 'set an environment variable, repeatable', stringsFlag)
    .option('-l, --label <key=value>', 'set a service label, repeatable', stringsFlag)
    .option('--container-label <key=value>', 'set a container label, repeatable', stringsFlag)
    .option(
      '--constraint <expr>',
      'placement constraint (e.g. node.role==manager), repeatable',
      stringsFlag,
    )
    .option(
      '--placement-pref <pref>',
      'placement preference (spread=node.labels.zone), repeatable',
      placementPrefFlag,
    )
    .option(
      '-p, --publish <port>',
      'publish a port: 8080:80, 8080:80/udp, 80, or published=8080,target=80[,protocol=udp][,mode=host]; repeatable',
      publishFlag,
    )
    .option(
      '--mount <mount>',
      'attach a mount: type=bind|volume|tmpfs,source=SRC,target=DST[,readonly]; repeatable',
      mountFlag,
    )
    .option('-q, --quiet', 'suppress progress output');
  addCommonServiceOptions(create).action(
    async (image: string, args: string[], opts: CreateServiceFlags, cmd: Command) => {
      const spec = buildServiceSpec(image, args, opts, ctx.env);
      const client = daemonClient(cmd, ctx);
      const created = await client.post<ServiceCreateResponse>('/services/create', spec);
      writeWarnings(ctx, created?.Warnings);
      ctx.stdout.write(`${created?.ID ?? ''}\n`);
      if (!opts.detach && created?.ID) {
        await waitOnService(ctx, client, created.ID, { ref: created.ID, quiet: opts.quiet });
      }
    },
  );
}

/** Flags that may accompany --rollback: they change how the command runs, not the spec. */
const ROLLBACK_COMPATIBLE = new Set(['--rollback', '--detach', '--quiet']);

function registerUpdate(service: Command, ctx: CliContext): void {
  const update = service
    .command('update')
    .description('Update a service')
    .argument('<service>', 'service name or ID')
    .option('--image <image>', 'service image tag')
    .option(
      '--env-add <VAR=value>',
      'add or update an environment variable, repeatable',
      stringsFlag,
    )
    .option('--env-rm <VAR>', 'remove an environment variable, repeatable', stringsFlag)
    .option('--label-add <key=value>', 'add or update a service label, repeatable', stringsFlag)
    .option('--label-rm <key>', 'remove a service label, repeatable', stringsFlag)
    .option(
      '--container-label-add <key=value>',
      'add or update a container label, repeatable',
      stringsFlag,
    )
    .option('--container-label-rm <key>', 'remove a container label, repeatable', stringsFlag)
    .option(
      '--constraint-add <expr>',
      'add or update a placement constraint, repeatable',
      stringsFlag,
    )
    .option('--constraint-rm <expr>', 'remove a placement constraint, repeatable', stringsFlag)
    .option(
      '--placement-pref-add <pref>',
      'add a placement preference, repeatable',
      placementPrefFlag,
    )
    .option(
      '--placement-pref-rm <pref>',
      'remove a placement preference, repeatable',
      placementPrefFlag,
    )
    .option(
      '--publish-add <port>',
      'add or update a published port (same syntax as --publish), repeatable',
      publishFlag,
    )
    .option(
      '--publish-rm <port>',
      'remove a published port by its TARGET[/PROTOCOL], repeatable',
      publishFlag,
    )
    .option('--mount-add <mount>', 'add or update a mount on a service, repeatable', mountFlag)
    .option('--mount-rm <path>', 'remove a mount by its target path, repeatable', stringsFlag)
    .option('--force', 'force an update even if no changes require it')
    .option('--rollback', 'roll back to the previous specification')
    .option('-q, --quiet', 'suppress progress output');
  addCommonServiceOptions(update).action(
    async (ref: string, opts: UpdateServiceFlags, cmd: Command) => {
      if (opts.rollback) {
        // A rollback restores a whole spec; mixing it with edits would be ambiguous.
        const others = flagsGivenOnCommandLine(cmd).filter((f) => !ROLLBACK_COMPATIBLE.has(f));
        if (others.length > 0) {
          throw new UsageError(
            `--rollback cannot be combined with other flags (${others.join(', ')})`,
          );
        }
      }
      const client = daemonClient(cmd, ctx);
      const current = await client.get<Service>(servicePath(ref));
      let response: ServiceUpdateResponse | undefined;
      if (opts.rollback) {
        response = await postRollback(client, current, ref);
      } else {
        const spec = applyServiceUpdate(current.Spec ?? {}, opts, ctx.env);
        response = await postUpdate(client, current, spec);
      }
      writeWarnings(ctx, response?.Warnings);
      ctx.stdout.write(`${ref}\n`);
      if (!opts.detach) {
        await waitOnService(ctx, client, current.ID, {
          ref,
          quiet: opts.quiet,
          rollbackRequested: opts.rollback,
        });
      }
    },
  );
}

/** Returns the service to its PreviousSpec (`service rollback`, `service update --rollback`). */
async function postRollback(
  client: DaemonClient,
  current: Service,
  ref: string,
): Promise<ServiceUpdateResponse | undefined> {
  if (!current.PreviousSpec) {
    throw new CommandFailedError(`service ${ref} has no previous spec to roll back to`);
  }
  return postUpdate(client, current, current.PreviousSpec, { rollback: 'previous' });
}

function registerRollback(service: Command, ctx: CliContext): void {
  service
    .command('rollback')
    .description("Revert changes to a service's configuration")
    .argument('<service>', 'service name or ID')
    .option('-d, --detach', 'exit immediately instead of waiting for the service to converge')
    .option('-q, --quiet', 'suppress progress output')
    .action(async (ref: string, opts: { detach?: boolean; quiet?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      const current = await client.get<Service>(servicePath(ref));
      const response = await postRollback(client, current, ref);
      writeWarnings(ctx, response?.Warnings);
      ctx.stdout.write(`${ref}\n`);
      if (!opts.detach) {
        await waitOnService(ctx, client, current.ID, {
          ref,
          quiet: opts.quiet,
          rollbackRequested: true,
        });
      }
    });
}

function registerScale(service: Command, ctx: CliContext): void {
  service
    .command('scale')
    .description('Scale one or more replicated services')
    .argument('<service=replicas...>', 'services and their new replica counts (e.g. web=3)')
    .option('-d, --detach', 'exit immediately instead of waiting for the services to converge')
    .action(async (specs: string[], opts: { detach?: boolean }, cmd: Command) => {
      // Validate every specifier before changing anything, so a typo scales nothing.
      const targets = specs.map(parseScaleSpec);
      const client = daemonClient(cmd, ctx);
      const scaled: { ref: string; id: string }[] = [];
      let failures = 0;
      try {
        await forEachReportingFailures(ctx, targets, async ({ service: ref, replicas }) => {
          const current = await client.get<Service>(servicePath(ref));
          const mode = modeName(current.Spec?.Mode);
          if (mode !== 'replicated' && mode !== 'replicated-job') {
            throw new CommandFailedError(
              `${ref}: scale can only be used with replicated or replicated-job mode (it is ${mode})`,
            );
          }
          const response = await postUpdate(
            client,
            current,
            applyServiceUpdate(current.Spec ?? {}, { replicas }),
          );
          writeWarnings(ctx, response?.Warnings);
          ctx.stdout.write(`${ref} scaled to ${replicas}\n`);
          scaled.push({ ref, id: current.ID });
        });
      } catch (err) {
        if (!(err instanceof PartialFailureError)) throw err;
        failures = err.failures;
      }
      // As docker: every service is scaled first, then each is waited on in turn.
      if (!opts.detach) {
        for (const { ref, id } of scaled) {
          try {
            await waitOnService(ctx, client, id, { ref });
          } catch (err) {
            if (err instanceof ConnectionError) throw err;
            failures++;
            ctx.stderr.write(`${ref}: ${describeError(err)}\n`);
          }
        }
      }
      if (failures > 0) throw new PartialFailureError(failures);
    });
}

function registerRm(service: Command, ctx: CliContext): void {
  service
    .command('rm')
    .alias('remove')
    .description('Remove one or more services')
    .argument('<service...>', 'service names or IDs')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      await forEachReportingFailures(ctx, refs, async (ref) => {
        await client.delete(servicePath(ref));
        ctx.stdout.write(`${ref}\n`);
      });
    });
}

/**
 * `shoal service promote SERVICE`: Shoal's own (Docker has no canary step). A service whose
 * update is paused in its canary step (label `shoal.update.canary`) goes on with it:
 * POST /services/{id}/promote. The daemon's 409 says why when it is not waiting.
 */
function registerPromote(service: Command, ctx: CliContext): void {
  service
    .command('promote')
    .description('Continue an update paused in its canary step (label shoal.update.canary)')
    .argument('<service>', 'service name or ID')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      try {
        await daemonClient(cmd, ctx).post(`${servicePath(ref)}/promote`);
      } catch (err) {
        // A daemon without the route answers Docker's bare 404.
        const e = err as { statusCode?: unknown; message?: unknown };
        if (e.statusCode === 404 && e.message === 'page not found') {
          throw new CommandFailedError(
            'the daemon does not support service promote (a Shoal API extension)',
          );
        }
        throw err;
      }
      ctx.stdout.write(`${ref}\n`);
    });
}

/** Registers the commands that change services under `service`. */
export function registerServiceWriteCommands(service: Command, ctx: CliContext): void {
  registerCreate(service, ctx);
  registerUpdate(service, ctx);
  registerRollback(service, ctx);
  registerScale(service, ctx);
  registerRm(service, ctx);
  registerPromote(service, ctx);
}
