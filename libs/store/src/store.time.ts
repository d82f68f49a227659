/**
 * Formats milliseconds since the epoch as RFC 3339 with nanoseconds in UTC, the way Docker
 * prints CreatedAt/UpdatedAt: 2026-11-22T08:00:00.123000000Z. Written out by hand because
 * the store may not touch Date. Sub-millisecond fractions are dropped: the clock port is in
 * milliseconds.
 */
export function rfc3339Nano(ms: number): string {
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  const inDay = t - days * 86_400_000;
  const { year, month, day } = civilFromDays(days);
  const hh = Math.floor(inDay / 3_600_000);
  const mm = Math.floor(inDay / 60_000) % 60;
  const ss = Math.floor(inDay / 1000) % 60;
  const frac = inDay % 1000;
  return (
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T` +
    `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(frac, 3)}000000Z`
  );
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Days since 1970-01-01 to a proleptic Gregorian date. Counts in 400-year eras (146097 days),
 * with years starting on March 1 so the leap day falls at the end of the year.
 */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468; // days from 0000-03-01 to 1970-01-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // month counted from March
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}
