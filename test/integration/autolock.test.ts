import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { generateUnlockKey } from '@shoal/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * Autolock and encryption at rest, on a real daemon: the Raft log never holds the CA key in
 * clear; with autolock a restarted manager stays locked until `swarm unlock` with the key.
 */
describe('autolock and encryption at rest', () => {
  let daemon: ShoaldProcess;
  const api = (method: string, p: string, body?: unknown) =>
    unixRequest(daemon.socket, method, `/v1.44${p}`, body);
  const certDir = () => path.join(daemon.o.stateDir, 'swarm/certificates');
  const localState = async () =>
    ((await api('GET', '/info')).json as { Swarm: { LocalNodeState: string } }).Swarm
      .LocalNodeState;

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-autolock-');
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('keeps the Raft log encrypted: no key material or names in clear on disk', async () => {
    expect((await api('POST', '/swarm/init', { AutoLockManagers: true })).status).toBe(200);
    const svc = {
      Name: 'locked-web',
      TaskTemplate: { ContainerSpec: { Image: 'busybox:local' } },
    };
    expect((await api('POST', '/services/create', svc)).status).toBe(201);
    const raftDir = path.join(daemon.o.stateDir, 'swarm/raft');
    const files = await walk(raftDir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = (await readFile(f)).toString('latin1');
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('locked-web');
    }
    // Autolock: only the wrapped data key is on disk.
    expect((await readdir(certDir())).sort()).toEqual(
      ['ca.crt', 'data.key.wrapped', 'node.crt', 'node.key'].sort(),
    );
  });

  it('restarts locked, refuses to serve, refuses a wrong key, and works once unlocked', async () => {
    const { UnlockKey } = (await api('GET', '/swarm/unlockkey')).json as { UnlockKey: string };
    expect(UnlockKey).toMatch(/^SWMKEY-1-/);
    await daemon.kill9();
    await daemon.start();

    expect(await localState()).toBe('locked');
    const refused = await api('GET', '/services');
    expect(refused.status).toBe(503);
    expect((refused.json as { message: string }).message).toMatch(/needs to be unlocked/);

    const wrong = await api('POST', '/swarm/unlock', { UnlockKey: generateUnlockKey() });
    expect(wrong.status).toBe(400);
    expect(await localState()).toBe('locked');

    expect((await api('POST', '/swarm/unlock', { UnlockKey })).status).toBe(200);
    expect(await localState()).toBe('active');
    const services = (await api('GET', '/services')).json as { Spec: { Name: string } }[];
    expect(services.map((s) => s.Spec.Name)).toEqual(['locked-web']);
  });

  it('turning autolock off keeps the data key in clear again, and restarts unlocked', async () => {
    const swarm = (await api('GET', '/swarm')).json as {
      Version: { Index: number };
      Spec: Record<string, unknown>;
    };
    const off = await api('POST', `/swarm/update?version=${swarm.Version.Index}`, {
      ...swarm.Spec,
      EncryptionConfig: { AutoLockManagers: false },
    });
    expect(off.status).toBe(200);
    await expect
      .poll(async () => (await readdir(certDir())).includes('data.key'), {
        timeout: 5_000,
      })
      .toBe(true);
    expect(await readdir(certDir())).not.toContain('data.key.wrapped');
    await daemon.kill9();
    await daemon.start();
    expect(await localState()).toBe('active');
  });
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}
