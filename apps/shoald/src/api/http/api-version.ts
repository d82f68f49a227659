/** The Docker Engine API version Shoal speaks, and the oldest one it still accepts. */
export const API_VERSION = '1.44';
export const MIN_API_VERSION = '1.24';

/**
 * Compares dotted versions the way Docker does (api/types/versions): segment by segment as
 * integers, a missing or non-numeric segment counting as 0. So "1.4" < "1.24" and
 * "1.24" == "1.24.0".
 */
export function compareApiVersions(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const x = toInt(as[i]);
    const y = toInt(bs[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function toInt(s: string | undefined): number {
  if (s === undefined || !/^\d+$/.test(s)) return 0;
  return Number(s);
}
