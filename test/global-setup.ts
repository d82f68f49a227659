import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Integration tests run the daemon and the CLI as operators do: from the build in dist/.
 * Build once per test run, and only when a source file is newer than the last build.
 */
const ROOT = path.resolve(__dirname, '..');
export const BUILD_STAMP = path.join(ROOT, 'dist/.build-stamp');
const STAMP = BUILD_STAMP;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|proto)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  // Unit-test runs during development can skip the build (and a half-edited tree's errors).
  if (process.env['SHOAL_SKIP_BUILD'] === '1') return;
  const sources = Math.max(
    ...['apps', 'libs'].map((d) => newestSource(path.join(ROOT, d))),
    statSync(path.join(ROOT, 'package.json')).mtimeMs,
  );
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= sources) return;
  rmSync(STAMP, { force: true });
  try {
    // flock: test runs started side by side would otherwise build into dist/ at once.
    execFileSync('flock', [path.join(ROOT, 'dist.lock'), 'npm', 'run', '-s', 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch {
    // Unit tests need no build; the tests that do fail on the missing stamp, saying why.
    process.stderr.write(
      'global setup: npm run build failed; tests of the built daemon will fail\n',
    );
    return;
  }
  // The build script itself touches the stamp as its last step.
}
