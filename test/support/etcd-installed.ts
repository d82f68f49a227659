import { spawnSync } from 'node:child_process';

/**
 * Whether an etcd binary answers `--version` (ETCD_BIN, else `etcd` on PATH). Specs that need a
 * real etcd run only where it is installed; `.ci/run` installs Debian's etcd-server.
 */
export function etcdInstalled(bin = process.env.ETCD_BIN ?? 'etcd'): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}
