/**
 * Parses an RFC 3339 timestamp (as Docker and the store print them, e.g.
 * 2026-11-22T08:00:00.123000000Z, or with a numeric offset) into milliseconds since the
 * epoch. Written by hand because the orchestrators may not touch Date. Fractions below a
 * millisecond are dropped. Returns undefined for anything it cannot read.
 */
export function parseRfc3339Ms(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss, frac, zone, sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const ms = frac ? Number(frac.slice(1, 4).padEnd(3, '0')) : 0;
  let t =
    daysFromCivil(Number(y), month, day) * 86_400_000 +
    Number(hh) * 3_600_000 +
    Number(mm) * 60_000 +
    Number(ss) * 1000 +
    ms;
  if (zone !== 'Z' && zone !== 'z') {
    const offset = (Number(oh) * 60 + Number(om)) * 60_000;
    t -= sign === '-' ? -offset : offset;
  }
  return t;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
