import { type Filter, nodes } from './filter.types';

/**
 * Only nodes whose agent is connected and healthy (Status.State `ready`). swarmkit folds this
 * and availability into one filter ("not available for new tasks"); apart, the text tells a
 * down node from a drained one.
 */
export const readyFilter: Filter = {
  name: 'ReadyFilter',
  dynamic: false,
  enabled: () => true,
  check: (node) => node.node.Status?.State === 'ready',
  explain: (count) => `${nodes(count)} not ready`,
};

/** Only nodes open for new work: Spec.Availability `active` (or unset, Docker's default). */
export const availabilityFilter: Filter = {
  name: 'AvailabilityFilter',
  dynamic: false,
  enabled: () => true,
  check: (node) => (node.node.Spec.Availability ?? 'active') === 'active',
  explain: (count) => `${nodes(count)} not available for new tasks`,
};
