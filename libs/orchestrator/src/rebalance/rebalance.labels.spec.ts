import { describe, expect, it } from 'vitest';
import { DEFAULT_REBALANCE_DELAY_MS, parseDurationMs, rebalanceSettings } from './rebalance.labels';

describe('rebalance labels', () => {
  it('opts in only with shoal.rebalance=true', () => {
    expect(rebalanceSettings(undefined).enabled).toBe(false);
    expect(rebalanceSettings({}).enabled).toBe(false);
    expect(rebalanceSettings({ 'shoal.rebalance': 'true' }).enabled).toBe(true);
    expect(rebalanceSettings({ 'shoal.rebalance': ' TRUE ' }).enabled).toBe(true);
    expect(rebalanceSettings({ 'shoal.rebalance': 'false' }).enabled).toBe(false);
    expect(rebalanceSettings({ 'shoal.rebalance': '' }).enabled).toBe(false);
    expect(rebalanceSettings({ 'shoal.rebalance': 'yes' }).enabled).toBe(false);
  });

  it('reads the delay as a Go duration, defaulting to 5 s', () => {
    expect(rebalanceSettings({ 'shoal.rebalance': 'true' }).delayMs).toBe(
      DEFAULT_REBALANCE_DELAY_MS,
    );
    expect(rebalanceSettings({ 'shoal.rebalance.delay': '1m30s' })).toEqual({
      enabled: false,
      delayMs: 90_000,
    });
    expect(rebalanceSettings({ 'shoal.rebalance.delay': 'soon' })).toEqual({
      enabled: false,
      delayMs: DEFAULT_REBALANCE_DELAY_MS,
      invalidDelay: 'soon',
    });
  });

  it('parses what --update-delay accepts', () => {
    expect(parseDurationMs('0')).toBe(0);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('1.5s')).toBe(1_500);
    expect(parseDurationMs('.5m')).toBe(30_000);
    expect(parseDurationMs('1h2m3s4ms')).toBe(3_723_004);
    for (const bad of ['', '10', 's', '-1s', '1d', '1s x', '1 s', '1s2', 'ms']) {
      expect(parseDurationMs(bad), bad).toBeUndefined();
    }
  });
});
