import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { parseExposition, type Sample, samplesOf, valueOf } from '@shoal/metrics/registry.testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';
import { httpGet as get, loggedMetricsAddress } from '../support/shoald/metrics-endpoint';

/**
 * One real shoald with --metrics-addr on loopback: Prometheus's text format over plain HTTP,
 * process metrics from the start, Raft and store series once it is a manager, none once it
 * has left the swarm; and a non-loopback address without TLS refused at start (exit 2).
 */
describe('shoald /metrics', () => {
  let daemon: ShoaldProcess;
  let url = '';
  const scrape = async (): Promise<Sample[]> => {
    const r = await get(url);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(r.body);
  };
  const api = (method: string, p: string, body?: unknown) =>
    unixRequest(daemon.socket, method, `/v1.44${p}`, body);

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoald-metrics-');
    // info, for the `metrics listening` line: the port is the one the kernel picked.
    daemon.o.extraArgs = ['--metrics-addr', '127.0.0.1:0', '--log-level', 'info'];
    await daemon.start();
    url = `http://${loggedMetricsAddress(daemon.stderr)}/metrics`;
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('serves process metrics and the build before the node is in a swarm', async () => {
    const samples = await scrape();
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samplesOf(samples, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(samplesOf(samples, 'shoal_build_info')).toHaveLength(1);
    expect(samplesOf(samples, 'shoal_node_info')).toEqual([]);
    expect(samples.filter((s) => s.name.startsWith('shoal_raft_'))).toEqual([]);
    expect((await get(url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('adds Raft and store series once `swarm init` made it a manager', async () => {
    const init = await api('POST', '/swarm/init', { ListenAddr: '', AdvertiseAddr: '' });
    expect(init.status, init.text).toBe(200);
    const nodeId = init.json as string;
    const samples = await scrape();
    expect(valueOf(samples, 'shoal_raft_is_leader')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_has_leader')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_voters')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_voters_reachable')).toBe(1);
    expect(valueOf(samples, 'shoal_raft_term')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'shoal_raft_leader_changes_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'shoal_raft_applied_index')).toBeGreaterThan(0);
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'node' })).toBe(1);
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'cluster' })).toBe(1);
    expect(
      valueOf(samples, 'shoal_store_transaction_duration_seconds_count', { outcome: 'committed' }),
    ).toBeGreaterThan(0);
    expect(valueOf(samples, 'shoal_raft_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);
    expect(valueOf(samples, 'shoal_node_info', { node_id: nodeId, role: 'manager' })).toBe(1);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('drops them again when the node leaves the swarm', async () => {
    const leave = await api('POST', '/swarm/leave?force=1');
    expect(leave.status, leave.text).toBe(200);
    const samples = await scrape();
    expect(
      samples.filter((s) => s.name.startsWith('shoal_raft_') || s.name.startsWith('shoal_store_')),
    ).toEqual([]);
    expect(samplesOf(samples, 'shoal_node_info')).toEqual([]);
    expect(samplesOf(samples, 'shoal_build_info')).toHaveLength(1);
  });
});

/**
 * The manager series follow the node's role: a worker has none, a promoted node gets them, a
 * demoted one loses them, and a second promotion registers them again without a clash.
 */
describe('shoald /metrics through promotion and demotion', () => {
  const daemons: ShoaldProcess[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.dispose()));
  });

  async function startWithMetrics(): Promise<{
    d: ShoaldProcess;
    scrape: () => Promise<Sample[]>;
  }> {
    const d = await ShoaldProcess.inTempDir('shoald-metrics-role-');
    daemons.push(d);
    d.o.extraArgs = ['--metrics-addr', '127.0.0.1:0', '--log-level', 'info'];
    await d.start();
    const url = `http://${loggedMetricsAddress(d.stderr)}/metrics`;
    return {
      d,
      scrape: async () => {
        const r = await get(url);
        expect(r.status).toBe(200);
        return parseExposition(r.body);
      },
    };
  }

  const managerSeries = (samples: Sample[]) =>
    samples.filter((s) => s.name.startsWith('shoal_raft_') || s.name.startsWith('shoal_store_'));

  it('registers, removes and registers again the Raft and store series', async () => {
    const a = await startWithMetrics();
    const b = await startWithMetrics();
    const api = (d: ShoaldProcess, method: string, p: string, body?: unknown) =>
      unixRequest(d.socket, method, `/v1.44${p}`, body);
    expect((await api(a.d, 'POST', '/swarm/init', {})).status).toBe(200);
    const swarm = (await api(a.d, 'GET', '/swarm')).json as { JoinTokens: { Worker: string } };
    const join = await api(b.d, 'POST', '/swarm/join', {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      RemoteAddrs: [a.d.o.listenAddr],
      JoinToken: swarm.JoinTokens.Worker,
    });
    expect(join.status, join.text).toBe(200);
    const bId = ((await api(b.d, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm
      .NodeID;
    const role = async (samples: Promise<Sample[]>) =>
      samplesOf(await samples, 'shoal_node_info', { node_id: bId })[0]?.labels['role'];
    const setRole = async (r: string) => {
      const node = (await api(a.d, 'GET', `/nodes/${bId}`)).json as {
        Version: { Index: number };
        Spec: Record<string, unknown>;
      };
      const res = await api(a.d, 'POST', `/nodes/${bId}/update?version=${node.Version.Index}`, {
        ...node.Spec,
        Role: r,
      });
      expect(res.status, res.text).toBe(200);
    };

    await expect
      .poll(async () => valueOf(await a.scrape(), 'shoal_store_objects', { kind: 'node' }), {
        timeout: 10_000,
      })
      .toBe(2);
    expect(await role(b.scrape())).toBe('worker');
    expect(managerSeries(await b.scrape())).toEqual([]);

    for (const round of [1, 2]) {
      await setRole('manager');
      await expect
        .poll(async () => valueOf(await b.scrape(), 'shoal_raft_voters'), { timeout: 20_000 })
        .toBe(2);
      const promoted = await b.scrape();
      expect(valueOf(promoted, 'shoal_raft_is_leader'), `round ${round}`).toBe(0);
      expect(valueOf(promoted, 'shoal_raft_has_leader')).toBe(1);
      expect(valueOf(promoted, 'shoal_store_objects', { kind: 'node' })).toBe(2);
      expect(await role(Promise.resolve(promoted))).toBe('manager');
      expect(valueOf(await a.scrape(), 'shoal_raft_voters_reachable')).toBe(2);

      await setRole('worker');
      await expect
        .poll(async () => managerSeries(await b.scrape()), { timeout: 20_000 })
        .toEqual([]);
      // The role changes once the node holds a worker certificate, just after its manager stops.
      await expect.poll(() => role(b.scrape()), { timeout: 10_000 }).toBe('worker');
    }
    expect(b.d.stderr).not.toMatch(/already been registered/);
    expect((await api(b.d, 'GET', '/info')).status).toBe(200);
  });
});

describe('shoald --metrics-addr refusals', () => {
  const started: ShoaldProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((d) => d.dispose()));
  });

  async function startWith(args: (dir: string) => Promise<string[]>): Promise<ShoaldProcess> {
    const d = await ShoaldProcess.inTempDir('shoald-metrics-refused-');
    started.push(d);
    d.o.extraArgs = await args(d.dir!);
    return d;
  }

  it('exits 2 for a non-loopback address without TLS, saying why', async () => {
    const d = await startWith(async () => ['--metrics-addr', '0.0.0.0:0']);
    await expect(d.start()).rejects.toThrow(/exited with 2/);
    expect(d.stderr).toMatch(/--metrics-addr: "0\.0\.0\.0:0" is not a loopback address/);
    expect(d.stderr).toMatch(/--tls-ca, --tls-cert and --tls-key/);
  });

  it('exits 2 when a TLS file cannot be used, naming it', async () => {
    const d = await startWith(async (dir) => {
      const junk = path.join(dir, 'junk.pem');
      await writeFile(junk, 'not a certificate');
      return [
        '--metrics-addr',
        '0.0.0.0:0',
        '--tls-ca',
        path.join(dir, 'missing-ca.pem'),
        '--tls-cert',
        junk,
        '--tls-key',
        junk,
      ];
    });
    await expect(d.start()).rejects.toThrow(/exited with 2/);
    expect(d.stderr).toMatch(/--tls-ca \S*missing-ca\.pem: ENOENT/);
    expect(d.stderr).toMatch(/--tls-cert \S*junk\.pem: not a PEM file/);
  });

  it("exits 2 when the key is not the certificate's, for --metrics-addr and --api-addr", async () => {
    const ca = await createRootCa({ commonName: 'metrics refusal CA', validYears: 1 });
    const mine = await issueNodeCertificate(ca, { nodeId: 'mine', role: 'metrics' });
    const other = await issueNodeCertificate(ca, { nodeId: 'other', role: 'metrics' });
    const files = async (dir: string) => {
      await writeFile(path.join(dir, 'ca.pem'), ca.certPem);
      await writeFile(path.join(dir, 'cert.pem'), mine.certPem);
      await writeFile(path.join(dir, 'key.pem'), other.keyPem);
      return ['--tls-ca', 'ca.pem', '--tls-cert', 'cert.pem', '--tls-key', 'key.pem'].map((a) =>
        a.endsWith('.pem') ? path.join(dir, a) : a,
      );
    };
    for (const listener of [
      ['--metrics-addr', '0.0.0.0:0'],
      ['--api-addr', '127.0.0.1:0'],
    ]) {
      const d = await startWith(async (dir) => [...listener, ...(await files(dir))]);
      await expect(d.start(), listener[0]).rejects.toThrow(/exited with 2/);
      expect(d.stderr).toMatch(
        /--tls-key \S*key\.pem: not the private key of the certificate in --tls-cert \S*cert\.pem/,
      );
    }
  });
});
