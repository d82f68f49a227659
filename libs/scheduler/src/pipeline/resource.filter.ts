import { type Filter, nodes } from './filter.types';

/**
 * Reservations against what the node reports (Description.Resources) less what the tasks
 * holding it reserve. A node that has not reported its resources offers none, so it takes
 * only tasks that reserve nothing.
 */
export const resourceFilter: Filter = {
  name: 'ResourceFilter',
  dynamic: true,
  enabled: (d) =>
    d.nanoCPUs > 0 || d.memoryBytes > 0 || d.generic.length > 0 || d.genericUnsatisfiable,
  check: (node, d) =>
    !d.genericUnsatisfiable &&
    d.nanoCPUs <= node.availableCPUs &&
    d.memoryBytes <= node.availableMemory &&
    node.generic.hasEnough(d.generic),
  explain: (count) => `insufficient resources on ${nodes(count)}`,
};
