import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newestFile, pinBuild } from './pinned-build';

const BUILT = new Date('2026-01-02T03:04:05.000Z');
const COMPILED = new Date('2026-01-02T03:04:00.000Z');

describe('pinBuild', () => {
  let root: string;
  const dist = () => path.join(root, 'dist');
  const stamp = () => path.join(dist(), '.build-stamp');
  const copies = async () =>
    (await readdir(path.join(root, 'tmp'))).filter((n) => n.startsWith('shoal-swarm-bench-build-'));

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pinned-build-spec-'));
    await mkdir(path.join(dist(), 'apps/shoald/src'), { recursive: true });
    await mkdir(path.join(root, 'node_modules'));
    await mkdir(path.join(root, 'tmp'));
    await writeFile(path.join(root, 'package.json'), '{"name":"shoal","version":"9.9.9"}');
    const main = path.join(dist(), 'apps/shoald/src/main.js');
    await writeFile(main, 'main');
    await utimes(main, COMPILED, COMPILED);
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  const pin = (attempts = 1) =>
    pinBuild({
      distDir: dist(),
      nodeModules: path.join(root, 'node_modules'),
      packageJson: path.join(root, 'package.json'),
      attempts,
      retryMs: 1,
      into: path.join(root, 'tmp'),
    });

  it('copies a finished build beside a node_modules link and the package.json', async () => {
    await writeFile(stamp(), '');
    await utimes(stamp(), BUILT, BUILT);
    const b = await pin();
    try {
      expect(b.shoaldMain).toBe(path.join(b.dir, 'dist/apps/shoald/src/main.js'));
      expect(await readFile(b.shoaldMain, 'utf8')).toBe('main');
      expect(await readlink(path.join(b.dir, 'node_modules'))).toBe(
        path.join(root, 'node_modules'),
      );
      expect(await readFile(path.join(b.dir, 'package.json'), 'utf8')).toContain('9.9.9');
      expect(b.builtAt).toBe('2026-01-02T03:04:05.000Z');
    } finally {
      await b.dispose();
    }
    expect(existsSync(b.dir)).toBe(false);
  });

  it('refuses a build without its stamp (under way, or failed)', async () => {
    await expect(pin(2)).rejects.toThrow(/in 2 attempts \(last: no build stamp/);
    expect(await copies()).toEqual([]);
  });

  it('refuses a build with files newer than its stamp, and leaves no copy behind', async () => {
    await writeFile(stamp(), '');
    const older = new Date(COMPILED.getTime() - 60_000);
    await utimes(stamp(), older, older);
    await expect(pin(2)).rejects.toThrow(/changed while it was copied, or is newer than its stamp/);
    expect(await copies()).toEqual([]);
  });

  it('finds the newest file under a directory', async () => {
    await writeFile(stamp(), '');
    await utimes(stamp(), BUILT, BUILT);
    expect(await newestFile(dist())).toEqual({ mtimeMs: BUILT.getTime(), files: 2 });
  });
});
