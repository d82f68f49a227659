import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { formatBytes, formatNanoCpus, parseBytes, parseNanoCpus } from './units.parser';

describe('parseBytes (docker RAMInBytes)', () => {
  it.each([
    ['1024', 1024],
    ['0', 0],
    ['100k', 102_400],
    ['100K', 102_400],
    ['512m', 536_870_912],
    ['512MB', 536_870_912],
    ['512MiB', 536_870_912],
    ['512 mb', 536_870_912],
    ['1g', 1_073_741_824],
    ['1.5g', 1_610_612_736],
    ['2t', 2 * 1024 ** 4],
    ['1p', 1024 ** 5],
    ['10b', 10],
  ])('%s is %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it.each(['', 'abc', '-1', '1x', '1..5m', 'm', '1e3', '1 g b'])('refuses %j', (input) => {
    expect(() => parseBytes(input)).toThrow(UsageError);
    expect(() => parseBytes(input)).toThrow(/invalid size .*expected a byte count/);
  });

  it('refuses sizes past 2^53 rather than rounding them', () => {
    expect(() => parseBytes('9000p')).toThrow(/too large/);
  });
});

describe('parseNanoCpus', () => {
  it.each([
    ['1', 1_000_000_000],
    ['0.5', 500_000_000],
    ['.25', 250_000_000],
    ['2.', 2_000_000_000],
    ['0.1', 100_000_000],
    ['0.000000001', 1],
    ['1.5000000000', 1_500_000_000],
  ])('%s CPUs is %d NanoCPUs', (input, nano) => {
    expect(parseNanoCpus(input)).toBe(nano);
  });

  it.each(['', '.', 'abc', '-1', '1/2', '1e3', '0.5.5'])('refuses %j', (input) => {
    expect(() => parseNanoCpus(input)).toThrow(/invalid CPU count .*decimal number of CPUs/);
  });

  it('refuses more precision than a nanoCPU', () => {
    expect(() => parseNanoCpus('0.0000000001')).toThrow(/too precise/);
  });
});

describe('formatting', () => {
  it('prints bytes in binary units with 4 significant digits', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(1023)).toBe('1023B');
    expect(formatBytes(536_870_912)).toBe('512MiB');
    expect(formatBytes(1_610_612_736)).toBe('1.5GiB');
    expect(formatBytes(8_348_520_448)).toBe('7.775GiB');
  });

  it('prints NanoCPUs as a CPU count', () => {
    expect(formatNanoCpus(500_000_000)).toBe('0.5');
    expect(formatNanoCpus(4_000_000_000)).toBe('4');
  });
});
