import { type Filter, nodes } from './filter.types';

/**
 * A host-mode published port binds on the node itself, so no two tasks holding one node may
 * publish the same port and protocol that way.
 */
export const hostPortFilter: Filter = {
  name: 'HostPortFilter',
  dynamic: true,
  enabled: (d) => d.hostPorts.length > 0,
  check: (node, d) => d.hostPorts.every((p) => !node.hostPortInUse(p)),
  explain: (count) => `host-mode port already in use on ${nodes(count)}`,
};
