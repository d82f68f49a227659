import { type Filter } from './filter.types';

/** Placement.MaxReplicas: at most that many replicas of the service on one node. */
export const maxReplicasFilter: Filter = {
  name: 'MaxReplicasFilter',
  dynamic: true,
  enabled: (d) => d.maxReplicas > 0,
  check: (node, d) => node.replicasOf(d.serviceId) < d.maxReplicas,
  // swarmkit's text, count-free and ungrammatical: users and tools search for it verbatim.
  explain: () => 'max replicas per node limit exceed',
};
