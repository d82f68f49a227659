import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's prometheus package puts promtool here; CI installs it. */
export const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

export interface ToolResult {
  code: number;
  output: string;
}

/** Runs promtool; resolves with its exit code and combined output, never rejects on exit. */
export function promtool(...args: string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    if (!PROMTOOL) {
      reject(new Error('promtool not found: install Debian\'s "prometheus" package'));
      return;
    }
    execFile(PROMTOOL, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const output = `${String(stdout)}${String(stderr)}`;
      if (!error) resolve({ code: 0, output });
      else if (typeof error.code === 'number') resolve({ code: error.code, output });
      else reject(new Error(`promtool ${args.join(' ')} could not run: ${error.message}`));
    });
  });
}
