/**
 * shoald, the node daemon. The manager core (store, control API, `swarm init`) lands with
 * issue #3; until then the daemon refuses to start rather than pretend to run a node.
 */
const NOT_IMPLEMENTED_EXIT = 2;

export function main(): number {
  process.stderr.write(
    'shoald: not implemented yet: the node daemon arrives with the manager core (issue #3).\n' +
      'The Raft library it will run on is in libs/raft; see README.md.\n',
  );
  return NOT_IMPLEMENTED_EXIT;
}

if (require.main === module) process.exit(main());
