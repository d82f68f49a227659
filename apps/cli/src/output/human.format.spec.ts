import { describe, expect, it } from 'vitest';
import {
  capitalize,
  ellipsis,
  humanDuration,
  imageWithoutDigest,
  shortId,
  since,
} from './human.format';
import { field, plain, renderPretty, section } from './pretty.printer';

describe('human formats', () => {
  it.each([
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1_000, '1 second'],
    [45_000, '45 seconds'],
    [60_000, 'About a minute'],
    [5 * 60_000, '5 minutes'],
    [60 * 60_000, 'About an hour'],
    [3 * 3_600_000, '3 hours'],
    [3 * 86_400_000, '3 days'],
    [20 * 86_400_000, '2 weeks'],
    [90 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ])('%d ms is "%s"', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('since() reads RFC 3339 and ignores zero or missing times', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    expect(since('2024-05-01T11:54:30.123456789Z', now)).toBe('5 minutes ago');
    expect(since('0001-01-01T00:00:00Z', now)).toBe('');
    expect(since(undefined, now)).toBe('');
    expect(since('garbage', now)).toBe('');
  });

  it('ids, images, casing and ellipsis', () => {
    expect(shortId('abcdefghijklmnopqrstuvwxy')).toBe('abcdefghijkl');
    expect(shortId('abcdefghijklmnopqrstuvwxy', true)).toBe('abcdefghijklmnopqrstuvwxy');
    expect(imageWithoutDigest('nginx:1.25@sha256:0123')).toBe('nginx:1.25');
    expect(capitalize('running')).toBe('Running');
    expect(capitalize(undefined)).toBe('');
    expect(ellipsis('short', 10)).toBe('short');
    expect(ellipsis('0123456789abc', 10)).toBe('012345678\u2026');
  });
});

describe('renderPretty', () => {
  it('aligns values, prints headings and plain lines, skips empty fields', () => {
    const out = renderPretty([
      ...field('ID', 'abc'),
      ...field('Name', undefined),
      ...section('Status', [...field(' State', 'Ready'), ...field(' Address', '10.0.0.1')]),
      ...section('Empty', []),
      ...section('Labels', [plain(' - a=b')]),
    ]);
    expect(out).toBe(
      [
        'ID:       abc',
        'Status:',
        ' State:   Ready',
        ' Address: 10.0.0.1',
        'Labels:',
        ' - a=b',
        '',
      ].join('\n'),
    );
  });
});
