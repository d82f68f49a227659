import { type NodeSpec } from '../swarm/node.types';
import { labels } from './common.checks';
import { type Check, object, oneOf, required, string } from './field-schema';

// dockerd refuses a NodeSpec without Role or Availability ("invalid Role: \"\""), so a
// `docker node update` always sends the whole spec back; Shoal does the same.
export const nodeSpec: Check<NodeSpec> = object<NodeSpec>({
  Name: string,
  Labels: labels,
  Role: required(oneOf(['worker', 'manager'])),
  Availability: required(oneOf(['active', 'pause', 'drain'])),
});

/** Validates the body of POST /nodes/{id}/update. */
export function validateNodeSpec(input: unknown): NodeSpec {
  return nodeSpec(input, 'NodeSpec');
}
