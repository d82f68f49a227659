import { cp, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from '../timing';

/**
 * A private copy of the build for the whole run. The benchmark restarts managers dozens of
 * times; when dist/ is rebuilt meanwhile (by anyone: vitest's global setup rebuilds it when
 * sources changed), a restart would run a half-written build, or a different one from the
 * managers still up. The copy is taken only from a finished build that nothing is writing:
 * the build stamp is there, and no file in dist/ changed while it was copied. It resolves its
 * packages through a `node_modules` symlink to the repo's.
 */

export interface PinnedBuild {
  dir: string;
  /** The daemon's entry point inside the copy. */
  shoaldMain: string;
  /** When the copied build was finished (its stamp's mtime), ISO 8601. */
  builtAt: string;
  dispose(): Promise<void>;
  disposeSync(): void;
}

/** The latest mtime of any file under `dir` (ms), and how many files there are. */
export async function newestFile(dir: string): Promise<{ mtimeMs: number; files: number }> {
  let mtimeMs = 0;
  let files = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    mtimeMs = Math.max(mtimeMs, (await stat(path.join(e.parentPath, e.name))).mtimeMs);
  }
  return { mtimeMs, files };
}

export interface PinOptions {
  /** The build directory (dist/) and the node_modules its code needs. */
  distDir: string;
  nodeModules: string;
  /** Copied beside the build, where the daemon looks for its version. */
  packageJson?: string;
  stamp?: string;
  /** Entry point, relative to distDir. */
  main?: string;
  attempts?: number;
  retryMs?: number;
  /** Where the copy goes; the system temp dir by default. */
  into?: string;
}

export async function pinBuild(o: PinOptions): Promise<PinnedBuild> {
  const stamp = o.stamp ?? '.build-stamp';
  const main = o.main ?? 'apps/shoald/src/main.js';
  const attempts = o.attempts ?? 30;
  const reasons: string[] = [];
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(o.retryMs ?? 1_000);
    const stampAt = await stat(path.join(o.distDir, stamp)).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (stampAt === undefined) {
      reasons.push('no build stamp (a build is under way, or failed)');
      continue;
    }
    const dir = await mkdtemp(path.join(o.into ?? tmpdir(), 'shoal-swarm-bench-build-'));
    const copyStart = Date.now();
    try {
      await cp(o.distDir, path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
      const after = await newestFile(o.distDir);
      const stampNow = await stat(path.join(o.distDir, stamp)).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
      // A write during the copy, or a stamp older than a file it covers: not one build.
      if (stampNow !== stampAt || after.mtimeMs >= copyStart || after.mtimeMs > stampAt + 1) {
        reasons.push('dist/ changed while it was copied, or is newer than its stamp');
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      await symlink(o.nodeModules, path.join(dir, 'node_modules'), 'dir');
      if (o.packageJson) await cp(o.packageJson, path.join(dir, 'package.json'));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      dir,
      shoaldMain: path.join(dir, 'dist', main),
      builtAt: new Date(stampAt).toISOString(),
      dispose: () => rm(dir, { recursive: true, force: true }),
      disposeSync: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  throw new Error(
    `could not take a consistent copy of ${o.distDir} in ${attempts} attempts ` +
      `(last: ${reasons.at(-1)}); run npm run build and retry`,
  );
}
