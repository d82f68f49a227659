import { existsSync } from 'node:fs';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';

/** Fails loudly, never skips: CI (.ci/run) installs Debian's prometheus package. */
export function requirePrometheus(bin: string = PROMETHEUS_BIN): void {
  if (!existsSync(bin)) {
    throw new Error(
      `${bin} is missing: install Debian's prometheus package (apt-get install prometheus), which provides prometheus and promtool; .ci/run installs it`,
    );
  }
}
