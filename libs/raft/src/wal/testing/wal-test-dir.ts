import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { Wal } from '../wal';
import { type WalOptions } from '../wal.types';

export function quietWalLogger() {
  return { warn: vi.fn(), info: vi.fn() };
}

/**
 * A fresh WAL directory per test, and an `openWal` whose WALs are closed and whose directory
 * is removed after each test. `defaults` (e.g. a cipher, fsync off) apply to every open.
 */
export function walTestDir(prefix: string, defaults: WalOptions = {}) {
  let dir = '';
  const opened: Wal[] = [];
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const w of opened.splice(0)) await w.close().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    openWal: async (opts: WalOptions = {}) => {
      const r = await Wal.open(dir, { logger: quietWalLogger(), ...defaults, ...opts });
      opened.push(r.wal);
      return r;
    },
  };
}
