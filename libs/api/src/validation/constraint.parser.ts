import { invalid } from './field-schema';

export type ConstraintOperator = '==' | '!=';

/** A parsed placement constraint such as `node.labels.zone==eu-1`. */
export interface Constraint {
  /**
   * `node.id`, `node.hostname`, `node.role`, `node.platform.os`, `node.platform.arch`, or
   * `node.labels.<name>` / `engine.labels.<name>`. The fixed part is lower-cased; the label
   * name keeps its case, as labels are case-sensitive.
   */
  key: string;
  op: ConstraintOperator;
  /**
   * Trimmed, case kept. Swarm compares constraint values case-insensitively (and
   * `node.role` values are lower-cased here), so matchers should too.
   */
  value: string;
}

export const CONSTRAINT_FIXED_KEYS = [
  'node.id',
  'node.hostname',
  'node.role',
  'node.platform.os',
  'node.platform.arch',
] as const;

export const CONSTRAINT_LABEL_PREFIXES = ['node.labels.', 'engine.labels.'] as const;

const ACCEPTED_KEYS = [
  ...CONSTRAINT_FIXED_KEYS,
  ...CONSTRAINT_LABEL_PREFIXES.map((prefix) => `${prefix}<name>`),
].join(', ');

const ACCEPTED = `accepted keys: ${ACCEPTED_KEYS}; operators: ==, !=`;

// swarmkit's character sets: keys are identifier-like; values may not contain anything that
// could be read as another operator (<, >, ~, =, !).
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]+$/;
const VALUE_PATTERN = /^[A-Za-z0-9:\-_\s.*()?+[\]\\^$|/]+$/;

/**
 * Normalizes a constraint or spread key, or returns why it is not one. Shared with the
 * validation of Placement.Preferences[].Spread.SpreadDescriptor.
 */
export function normalizeNodeAttribute(raw: string): { key: string } | { error: string } {
  const key = raw.trim();
  const lower = key.toLowerCase();
  if ((CONSTRAINT_FIXED_KEYS as readonly string[]).includes(lower)) return { key: lower };
  for (const prefix of CONSTRAINT_LABEL_PREFIXES) {
    if (lower.startsWith(prefix)) {
      const name = key.slice(prefix.length);
      if (name === '') return { error: `'${key}' names no label (${ACCEPTED})` };
      return { key: prefix + name };
    }
  }
  return { error: `unknown key '${key}' (${ACCEPTED})` };
}

/**
 * Parses a placement constraint `key==value` or `key!=value` as swarmkit does, and rejects
 * keys Shoal's scheduler does not match on. `path` names the field for the error message.
 */
export function parseConstraint(expr: string, path?: string): Constraint {
  const where = path ?? `constraint ${JSON.stringify(expr)}`;
  // `==` is looked for first, so `a!==b` splits at `==` and fails on the key `a!`.
  const op: ConstraintOperator | undefined = expr.includes('==')
    ? '=='
    : expr.includes('!=')
      ? '!='
      : undefined;
  if (op === undefined) {
    throw invalid(
      where,
      `expected key==value or key!=value, got ${JSON.stringify(expr)} (${ACCEPTED})`,
    );
  }
  const at = expr.indexOf(op);
  const rawKey = expr.slice(0, at).trim();
  const value = expr.slice(at + op.length).trim();
  if (!KEY_PATTERN.test(rawKey)) {
    throw invalid(where, `constraint key '${rawKey}' is not valid (${ACCEPTED})`);
  }
  const normalized = normalizeNodeAttribute(rawKey);
  if ('error' in normalized) throw invalid(where, `constraint has ${normalized.error}`);
  if (!VALUE_PATTERN.test(value)) {
    throw invalid(
      where,
      `constraint value '${value}' is not valid: expected letters, digits, whitespace and : - _ . * ( ) ? + [ ] \\ ^ $ | /`,
    );
  }
  if (normalized.key === 'node.role') {
    const role = value.toLowerCase();
    if (role !== 'manager' && role !== 'worker') {
      throw invalid(where, `node.role can only be manager or worker, got '${value}'`);
    }
    return { key: normalized.key, op, value: role };
  }
  return { key: normalized.key, op, value };
}
