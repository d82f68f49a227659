import { InvalidArgumentError, matchLabelFilter, parseFilters } from '@shoal/api';

/**
 * The `filters` query parameter of the list endpoints, parsed once: a JSON map of filter
 * name to values. Unknown filter names are refused by parseFilters (400, naming the filter
 * and listing the accepted ones), as Docker's filters.Validate does.
 */
export class ListFilters {
  private constructor(private readonly map: Map<string, string[]>) {}

  /** `raw` as the framework hands it over: a string, an array when repeated (first wins). */
  static parse(raw: unknown, accepted: readonly string[]): ListFilters {
    const text = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    if (text !== undefined && typeof text !== 'string') {
      throw new InvalidArgumentError('invalid filters: expected a single JSON-encoded value');
    }
    return new ListFilters(parseFilters(text, accepted));
  }

  static none(): ListFilters {
    return new ListFilters(new Map());
  }

  values(name: string): string[] {
    return this.map.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values(name).length > 0;
  }

  /** True when the filter is absent, or `value` starts with one of its values. */
  prefix(name: string, value: string | undefined): boolean {
    const wanted = this.values(name);
    return wanted.length === 0 || (value !== undefined && wanted.some((w) => value.startsWith(w)));
  }

  /** True when the filter is absent, or `value` equals one of its values. */
  exact(name: string, value: string | undefined): boolean {
    const wanted = this.values(name);
    return wanted.length === 0 || (value !== undefined && wanted.includes(value));
  }

  /** `label=key` or `label=key=value`: every given label must match (Docker's semantics). */
  labels(name: string, labels: Record<string, string> | undefined): boolean {
    const wanted = this.values(name);
    return wanted.length === 0 || matchLabelFilter(labels ?? {}, wanted);
  }

  /**
   * The values of an enumerated filter, each checked against `allowed` (case-insensitively,
   * as moby upper-cases them into swarmkit enums); an unknown value → 400 with moby's text,
   * e.g. "Invalid role filter: 'boss'". Empty values are ignored, as in moby.
   */
  enumValues(name: string, label: string, allowed: readonly string[]): string[] {
    const out: string[] = [];
    for (const v of this.values(name)) {
      if (v === '') continue;
      const lower = v.toLowerCase();
      if (!allowed.includes(lower)) {
        throw new InvalidArgumentError(
          `Invalid ${label} filter: '${v}' (accepted: ${allowed.join(', ')})`,
        );
      }
      out.push(lower);
    }
    return out;
  }
}
