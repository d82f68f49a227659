/** `shoal node ls|inspect|update|promote|demote|rm`. */
import { type Command, Option } from 'commander';
import type { Node, NodeSpec, SystemInfo } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { CommandFailedError } from '../errors/cli.errors';
import { parseLabels } from '../parse/key-value.parser';
import { nodeRows, renderNodePretty, renderNodeTable } from '../views/node.views';
import {
  type ListFlags,
  addListOptions,
  daemonClient,
  forEachReportingFailures,
  getFiltered,
  identity,
  inspectEach,
  repeatable,
  writeIds,
  writeRows,
} from './command.support';

/** docker lets `self` stand for the node the CLI is talking to. */
async function resolveNodeRef(client: DaemonClient, ref: string): Promise<string> {
  if (ref !== 'self') return ref;
  const info = await client.get<SystemInfo>('/info');
  const id = info.Swarm?.NodeID;
  if (!id)
    throw new CommandFailedError('this node is not part of a swarm, so "self" names no node');
  return id;
}

const nodePath = (id: string): string => `/nodes/${encodeURIComponent(id)}`;

interface NodeUpdateFlags {
  availability?: NodeSpec['Availability'];
  role?: NodeSpec['Role'];
  labelAdd?: string[];
  labelRm?: string[];
}

/** The node's spec with the flags applied (a copy); removing a missing label is an error. */
export function applyNodeUpdate(current: NodeSpec, flags: NodeUpdateFlags): NodeSpec {
  const spec = structuredClone(current);
  if (flags.availability !== undefined) spec.Availability = flags.availability;
  if (flags.role !== undefined) spec.Role = flags.role;
  if (flags.labelAdd?.length || flags.labelRm?.length) {
    const labels = { ...spec.Labels };
    for (const key of flags.labelRm ?? []) {
      if (!(key in labels))
        throw new CommandFailedError(`key ${key} doesn't exist in node's labels`);
      delete labels[key];
    }
    spec.Labels = { ...labels, ...parseLabels(flags.labelAdd ?? [], '--label-add') };
  }
  return spec;
}

type NodeRole = NonNullable<NodeSpec['Role']>;

/** docker's lines for `node promote` and `node demote`. */
const ROLE_CHANGE: Readonly<
  Record<NodeRole, { done: (ref: string) => string; already: (id: string) => string }>
> = {
  manager: {
    done: (ref) => `Node ${ref} promoted to a manager in the swarm.\n`,
    already: (id) => `Node ${id} is already a manager.\n`,
  },
  worker: {
    done: (ref) => `Manager ${ref} demoted in the swarm.\n`,
    already: (id) => `Node ${id} is already a worker.\n`,
  },
};

/**
 * `node promote|demote`: sets each node's role by read-modify-write, skipping (with a line,
 * not an error) nodes that already have it. Unlike `rm`, the first failure stops the run, as
 * in docker: the daemon refuses a demotion that would break quorum, and carrying on down the
 * list after that would act on a cluster in a state the user did not plan for.
 */
async function changeRoles(
  ctx: CliContext,
  client: DaemonClient,
  refs: readonly string[],
  role: NodeRole,
): Promise<void> {
  const texts = ROLE_CHANGE[role];
  for (const ref of refs) {
    const current = await client.get<Node>(nodePath(await resolveNodeRef(client, ref)));
    if (current.Spec?.Role === role) {
      ctx.stdout.write(texts.already(current.ID));
      continue;
    }
    await client.post(
      `${nodePath(current.ID)}/update`,
      { ...current.Spec, Role: role },
      { version: current.Version?.Index ?? 0 },
    );
    ctx.stdout.write(texts.done(ref));
  }
}

export function registerNodeCommands(program: Command, ctx: CliContext): void {
  const node = program.command('node').description('Manage swarm nodes');

  addListOptions(
    node.command('ls').alias('list').description('List nodes in the swarm'),
    'role=manager',
  ).action(async (opts: ListFlags, cmd: Command) => {
    const client = daemonClient(cmd, ctx);
    const nodes = await getFiltered<Node>(client, '/nodes', opts.filter);
    if (opts.quiet) {
      writeIds(ctx, nodeRows(nodes, undefined));
      return;
    }
    const info = await client.get<SystemInfo>('/info');
    writeRows(ctx, opts.format, nodeRows(nodes, info.Swarm?.NodeID), renderNodeTable);
  });

  node
    .command('inspect')
    .description('Display detailed information on one or more nodes ("self" is this node)')
    .argument('<node...>', 'node IDs or hostnames')
    .option('--pretty', 'print the information in a human friendly format')
    .action(async (refs: string[], opts: { pretty?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      await inspectEach(ctx, refs, opts.pretty, renderNodePretty, async (ref) =>
        client.get<Node>(nodePath(await resolveNodeRef(client, ref))),
      );
    });

  node
    .command('update')
    .description('Update a node')
    .argument('<node>', 'node ID or hostname ("self" is this node)')
    .addOption(
      new Option('--availability <availability>', 'availability of the node').choices([
        'active',
        'pause',
        'drain',
      ]),
    )
    .addOption(new Option('--role <role>', 'role of the node').choices(['worker', 'manager']))
    .option(
      '--label-add <key=value>',
      'add or update a node label, repeatable',
      repeatable(identity),
    )
    .option(
      '--label-rm <key>',
      'remove a node label if it exists, repeatable',
      repeatable(identity),
    )
    .action(async (ref: string, opts: NodeUpdateFlags, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      const current = await client.get<Node>(nodePath(await resolveNodeRef(client, ref)));
      const spec = applyNodeUpdate(current.Spec ?? {}, opts);
      await client.post(`${nodePath(current.ID)}/update`, spec, {
        version: current.Version?.Index ?? 0,
      });
      ctx.stdout.write(`${ref}\n`);
    });

  node
    .command('promote')
    .description('Promote one or more nodes to manager in the swarm')
    .argument('<node...>', 'node IDs or hostnames ("self" is this node)')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      await changeRoles(ctx, daemonClient(cmd, ctx), refs, 'manager');
    });

  node
    .command('demote')
    .description('Demote one or more nodes from manager in the swarm')
    .argument('<node...>', 'node IDs or hostnames ("self" is this node)')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      await changeRoles(ctx, daemonClient(cmd, ctx), refs, 'worker');
    });

  node
    .command('rm')
    .alias('remove')
    .description('Remove one or more nodes from the swarm')
    .argument('<node...>', 'node IDs or hostnames')
    .option('-f, --force', 'force remove a node from the swarm')
    .action(async (refs: string[], opts: { force?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      await forEachReportingFailures(ctx, refs, async (ref) => {
        await client.delete(nodePath(ref), opts.force ? { force: true } : undefined);
        ctx.stdout.write(`${ref}\n`);
      });
    });
}
