/**
 * docker's unit syntaxes for resource flags: byte sizes with binary multiples (`512m`, `1g`,
 * `100k`, `1.5GiB`, plain `1024`) and decimal CPU counts (`0.5`) that become NanoCPUs.
 */
import { UsageError } from '../errors/cli.errors';

export const BYTES_SYNTAX =
  'a byte count such as "1024", "100k", "512m" or "1.5g" (suffixes k, m, g, t, p are powers of 1024)';
export const CPUS_SYNTAX = 'a decimal number of CPUs such as "0.5" or "2" (at most 9 decimals)';

const BYTE_MULTIPLIERS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

// Same shape docker's RAMInBytes accepts: a number, an optional space, an optional multiplier,
// then an optional "i" and "b" in any case ("512m", "512MB", "512MiB", "512 mb").
const BYTES_PATTERN = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;

/** Parses a docker byte size (binary multiples) into an integer number of bytes. */
export function parseBytes(input: string): number {
  const match = BYTES_PATTERN.exec(input.trim());
  if (!match) {
    throw new UsageError(`invalid size ${JSON.stringify(input)}: expected ${BYTES_SYNTAX}`);
  }
  const multiplier = BYTE_MULTIPLIERS[(match[2] ?? '').toLowerCase()] ?? 1;
  const bytes = Math.trunc(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`invalid size ${JSON.stringify(input)}: too large`);
  }
  return bytes;
}

/**
 * Parses a CPU count into NanoCPUs with exact decimal arithmetic, so "0.1" is 100000000 and not
 * whatever 0.1 * 1e9 rounds to; more precision than a nanoCPU is refused, as docker does.
 */
export function parseNanoCpus(input: string): number {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(input.trim());
  const whole = match?.[1] ?? '';
  const frac = match?.[2] ?? '';
  if (!match || (whole === '' && frac === '')) {
    throw new UsageError(`invalid CPU count ${JSON.stringify(input)}: expected ${CPUS_SYNTAX}`);
  }
  const significantFrac = frac.replace(/0+$/, '');
  if (significantFrac.length > 9) {
    throw new UsageError(
      `invalid CPU count ${JSON.stringify(input)}: too precise (at most 9 decimals)`,
    );
  }
  const nano = BigInt(whole || '0') * 1_000_000_000n + BigInt(significantFrac.padEnd(9, '0'));
  if (nano > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`invalid CPU count ${JSON.stringify(input)}: too large`);
  }
  return Number(nano);
}

/** Bytes in docker's human form ("512MiB", "1.5GiB"): binary units, 4 significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}

/** NanoCPUs as a CPU count ("0.5", "2"). */
export function formatNanoCpus(nanoCpus: number): string {
  return String(nanoCpus / 1e9);
}
