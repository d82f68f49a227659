import { nodeAttribute } from '../state/node.attributes';
import { type Filter, nodes } from './filter.types';

/**
 * Placement.Constraints, all of which must hold, matched as swarmkit's NodeMatches does:
 * values compare case-insensitively (demand values are lower-cased once), label names
 * case-sensitively, and a missing attribute reads as ''. A constraint that does not parse
 * (the API validates them, so only an old or hand-written spec) matches no node: swarmkit
 * ignores it instead, but placing a task where its author said it must not go is the worse
 * failure.
 */
export const constraintFilter: Filter = {
  name: 'ConstraintFilter',
  dynamic: false,
  enabled: (d) => d.constraints.length > 0 || d.constraintsInvalid,
  check: (node, d) =>
    !d.constraintsInvalid &&
    d.constraints.every(
      (c) => (nodeAttribute(node.node, c.key).toLowerCase() === c.value) === (c.op === '=='),
    ),
  explain: (count) => `scheduling constraints not satisfied on ${nodes(count)}`,
};
