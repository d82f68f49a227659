import { InvalidArgumentError } from '../errors/api-error';

/**
 * A tiny declarative schema for JSON request bodies. A Check takes an untrusted value and the
 * path it was found at (`ServiceSpec.TaskTemplate.Mounts[0].Target`) and returns it typed, or
 * throws InvalidArgumentError naming that path and what would have been accepted.
 *
 * Objects follow Go's encoding/json, because the clients we must serve are Go programs and
 * dockerd decodes with it:
 * - field names match case-insensitively (the docker CLI sends `Healthcheck` where the spec
 *   says `HealthCheck`); the result uses the spec's spelling;
 * - null stands for an absent field (Go sends null for nil slices, maps and pointers), and
 *   so does "" in an enum without a "" value (Go's zero value; see Check.blankAsAbsent).
 * Unlike dockerd, unknown fields are refused: a typo should not silently do nothing.
 */
export interface Check<T> {
  (value: unknown, path: string): T;
  /** What the check accepts, for messages: "a string", "one of vip, dnsrr". */
  readonly what: string;
  /**
   * An empty string counts as absent. Set on enums that have no "" value: Go sends its zero
   * value "" for enum fields declared without omitempty (UpdateConfig.Order, for one).
   */
  readonly blankAsAbsent?: boolean;
}

/** Marks an object field as required. */
export interface RequiredField<T> {
  readonly required: Check<T>;
}

export type FieldRule<T> = Check<T> | RequiredField<T>;

/** One rule per field of T, so a field added to an interface cannot go unvalidated. */
export type Shape<T> = { readonly [K in keyof T]-?: FieldRule<Exclude<T[K], undefined | null>> };

export function check<T>(what: string, fn: (value: unknown, path: string) => T): Check<T> {
  return Object.assign(fn, { what });
}

export function required<T>(rule: Check<T>): RequiredField<T> {
  return { required: rule };
}

/** `invalid <path>: <reason>` — the form of every message this module produces. */
export function invalid(path: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid ${path}: ${reason}`);
}

export function expected(path: string, what: string, value: unknown): InvalidArgumentError {
  return invalid(path, `expected ${what}, got ${describeValue(value)}`);
}

/** A short rendering of a bad value; long ones are cut so messages stay one line. */
export function describeValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `parent.Key`, or `parent["odd key"]` for keys that would not read as one path segment. */
export function fieldPath(parent: string, key: string): string {
  const shown = key.length > 40 ? `${key.slice(0, 37)}...` : key;
  return PLAIN_KEY.test(key) ? `${parent}.${shown}` : `${parent}[${JSON.stringify(shown)}]`;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Label keys come from users; defineProperty keeps a key like "__proto__" an ordinary field.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export const string: Check<string> = check('a string', (value, path) => {
  if (typeof value !== 'string') throw expected(path, 'a string', value);
  return value;
});

export const nonEmptyString: Check<string> = check('a non-empty string', (value, path) => {
  if (typeof value !== 'string' || value === '') throw expected(path, 'a non-empty string', value);
  return value;
});

export const boolean: Check<boolean> = check('a boolean', (value, path) => {
  if (typeof value !== 'boolean') throw expected(path, 'a boolean', value);
  return value;
});

/** A string matching `pattern`; `what` says in words what that is. */
export function matching(pattern: RegExp, what: string): Check<string> {
  return check(what, (value, path) => {
    if (typeof value !== 'string' || !pattern.test(value)) throw expected(path, what, value);
    return value;
  });
}

/**
 * An integer within [min, max]. JSON numbers beyond 2^53 lose precision in JavaScript; for
 * int64 fields that is accepted rather than refusing what Go clients legitimately send.
 */
export function integer(min: number, max: number, what?: string): Check<number> {
  const said = what ?? `an integer from ${min} to ${max}`;
  return check(said, (value, path) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw expected(path, said, value);
    }
    return value;
  });
}

/** A finite number within [min, max]. */
export function number(min: number, max: number, what?: string): Check<number> {
  const said = what ?? `a number from ${min} to ${max}`;
  return check(said, (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw expected(path, said, value);
    }
    return value;
  });
}

function listValues(values: readonly string[]): string {
  return values.map((v) => (v === '' ? '""' : v)).join(', ');
}

/**
 * One of a set of strings. Matched case-insensitively, as dockerd matches most enum values
 * (it upper-cases them to look up the protobuf enum), and returned in the spec's spelling.
 */
export function oneOf<const V extends string>(values: readonly V[], what?: string): Check<V> {
  const said = what ?? `one of ${listValues(values)}`;
  const byFold = new Map<string, V>(values.map((v) => [v.toLowerCase(), v]));
  const inner = check(said, (value, path) => {
    const found = typeof value === 'string' ? byFold.get(value.toLowerCase()) : undefined;
    if (found === undefined) throw expected(path, said, value);
    return found;
  });
  return Object.assign(inner, { blankAsAbsent: !byFold.has('') });
}

export function arrayOf<T>(item: Check<T>, what = 'an array'): Check<T[]> {
  return check(what, (value, path) => {
    if (!Array.isArray(value)) throw expected(path, what, value);
    return value.map((element, i) => item(element, `${path}[${i}]`));
  });
}

/** A JSON object used as a map: any keys, values checked by `item`. */
export function mapOf<T>(item: Check<T>, what: string): Check<Record<string, T>> {
  return check(what, (value, path) => {
    if (!isJsonObject(value)) throw expected(path, what, value);
    const out: Record<string, T> = {};
    for (const key of Object.keys(value)) setOwn(out, key, item(value[key], fieldPath(path, key)));
    return out;
  });
}

export const stringMap: Check<Record<string, string>> = mapOf(string, 'an object of string values');

/** `{}`: a JSON object that takes no fields (e.g. Mode.Global). */
export const emptyObject: Check<Record<string, never>> = check('an empty object', (value, path) => {
  if (!isJsonObject(value)) throw expected(path, 'an empty object', value);
  const [first] = Object.keys(value);
  if (first !== undefined) {
    throw new InvalidArgumentError(`unknown field ${fieldPath(path, first)} (accepted: none)`);
  }
  return {};
});

/** Adds a rule to an existing check; the rule throws (via `invalid`) to refuse. */
export function refine<T>(base: Check<T>, rule: (value: T, path: string) => void): Check<T> {
  return check(base.what, (value, path) => {
    const result = base(value, path);
    rule(result, path);
    return result;
  });
}

function isRequired<T>(rule: FieldRule<T>): rule is RequiredField<T> {
  return typeof rule !== 'function';
}

/**
 * A JSON object with the fields of `shape`. `rule` runs after every field passed, for
 * constraints between fields; it sees the typed result.
 */
export function object<T extends object>(
  shape: Shape<T>,
  rule?: (value: T, path: string) => void,
): Check<T> {
  const rules = shape as Readonly<Record<string, FieldRule<unknown>>>;
  const names = Object.keys(rules);
  const byFold = new Map(names.map((name) => [name.toLowerCase(), name]));
  const accepted = names.length > 0 ? names.join(', ') : 'none';
  return check('an object', (value, path) => {
    if (!isJsonObject(value)) throw expected(path, 'an object', value);
    const sentAs = new Map<string, string>();
    for (const key of Object.keys(value)) {
      const name = byFold.get(key.toLowerCase());
      if (name === undefined) {
        throw new InvalidArgumentError(
          `unknown field ${fieldPath(path, key)} (accepted: ${accepted})`,
        );
      }
      const earlier = sentAs.get(name);
      if (earlier !== undefined) {
        throw invalid(fieldPath(path, name), `given twice, as ${earlier} and ${key}`);
      }
      sentAs.set(name, key);
    }
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const fieldRule = rules[name];
      const fieldCheck = isRequired(fieldRule) ? fieldRule.required : fieldRule;
      const key = sentAs.get(name);
      const raw = key === undefined ? undefined : value[key];
      const at = fieldPath(path, name);
      if (raw === undefined || raw === null || (raw === '' && fieldCheck.blankAsAbsent === true)) {
        if (isRequired(fieldRule)) throw invalid(at, `missing, expected ${fieldCheck.what}`);
        continue;
      }
      out[name] = fieldCheck(raw, at);
    }
    const result = out as T;
    rule?.(result, path);
    return result;
  });
}
