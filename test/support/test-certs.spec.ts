import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdInstalled } from './etcd-installed';
import { freePorts } from './free-port';
import {
  grpcCredentialsFor,
  issueTestCert,
  makeTestPki,
  type TestPki,
  writeTestPki,
} from './test-certs';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await makeTestPki(['n1', { id: 'w1', role: 'worker' }]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'shoal-pki-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('makeTestPki', () => {
  it('issues a CA and node certificates that chain to it', () => {
    const ca = new X509Certificate(pki.caPem);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const id of ['n1', 'w1']) {
      const cert = new X509Certificate(pki.nodes[id].certPem);
      expect(cert.ca).toBe(false);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
    }
  });

  it('names the node in CN and its role in OU', () => {
    expect(new X509Certificate(pki.nodes.n1.certPem).subject.split('\n').sort()).toEqual([
      'CN=n1',
      'OU=manager',
    ]);
    expect(new X509Certificate(pki.nodes.w1.certPem).subject).toContain('OU=worker');
  });

  it('carries what Go TLS requires of a dual-use certificate', () => {
    const cert = new X509Certificate(pki.nodes.n1.certPem);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
    // Go refuses negative serials; DER makes a serial negative when its top bit is set.
    expect(parseInt(cert.serialNumber[0], 16)).toBeLessThan(8);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
  });

  it('pairs each certificate with its PKCS#8 key', () => {
    const node = pki.nodes.n1;
    expect(node.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const fromKey = createPublicKey(createPrivateKey(node.keyPem)).export({
      type: 'spki',
      format: 'der',
    });
    const fromCert = new X509Certificate(node.certPem).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    expect(Buffer.compare(fromKey, fromCert)).toBe(0);
  });

  it('two PKIs do not trust each other, whatever their names', async () => {
    const other = await makeTestPki(['n1']);
    const cert = new X509Certificate(other.nodes.n1.certPem);
    expect(cert.verify(new X509Certificate(pki.caPem).publicKey)).toBe(false);
  });

  it('issueTestCert adds a member signed by the same CA', async () => {
    const grown = await issueTestCert(pki, 'n9');
    expect(Object.keys(grown.nodes).sort()).toEqual(['n1', 'n9', 'w1']);
    expect(pki.nodes.n9).toBeUndefined();
    const cert = new X509Certificate(grown.nodes.n9.certPem);
    expect(cert.verify(new X509Certificate(pki.caPem).publicKey)).toBe(true);
  });

  it('grpcCredentialsFor knows only issued nodes', () => {
    expect(grpcCredentialsFor(pki, 'n1').client).toBeDefined();
    expect(() => grpcCredentialsFor(pki, 'nobody')).toThrow(/no certificate for nobody/);
  });
});

describe('writeTestPki', () => {
  it('writes ca.pem, <id>.pem and owner-only <id>-key.pem', async () => {
    const out = path.join(dir, 'given');
    const written = await writeTestPki(out, pki);
    expect(written).toBe(pki);
    expect(await readFile(path.join(out, 'ca.pem'), 'utf8')).toBe(pki.caPem);
    expect(await readFile(path.join(out, 'w1.pem'), 'utf8')).toBe(pki.nodes.w1.certPem);
    expect(await readFile(path.join(out, 'n1-key.pem'), 'utf8')).toBe(pki.nodes.n1.keyPem);
    expect((await stat(path.join(out, 'n1-key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('generates a PKI from node ids', async () => {
    const out = path.join(dir, 'fresh');
    const written = await writeTestPki(out, ['a', 'b']);
    expect(Object.keys(written.nodes)).toEqual(['a', 'b']);
    expect(await readFile(path.join(out, 'b.pem'), 'utf8')).toBe(written.nodes.b.certPem);
  });
});

// etcd is Go: if it serves TLS with a node certificate and accepts another as a client
// certificate, the benchmark's etcd cluster will too. Skipped where etcd is not installed.
const etcd = process.env.ETCD_BIN ?? 'etcd';

describe.skipIf(!etcdInstalled(etcd))('Go TLS acceptance (etcd)', () => {
  let proc: ChildProcess | undefined;

  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  });

  it('etcd serves and authenticates clients with these certificates', async () => {
    const out = path.join(dir, 'etcd');
    const certs = await writeTestPki(path.join(out, 'pki'), ['e1', 'client']);
    const [clientPort, peerPort] = await freePorts(2);
    const f = (name: string) => path.join(out, 'pki', name);
    proc = spawn(
      etcd,
      [
        '--name=e1',
        `--data-dir=${path.join(out, 'data')}`,
        `--listen-client-urls=https://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=https://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=https://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=https://127.0.0.1:${peerPort}`,
        `--initial-cluster=e1=https://127.0.0.1:${peerPort}`,
        `--cert-file=${f('e1.pem')}`,
        `--key-file=${f('e1-key.pem')}`,
        `--trusted-ca-file=${f('ca.pem')}`,
        '--client-cert-auth',
        `--peer-cert-file=${f('e1.pem')}`,
        `--peer-key-file=${f('e1-key.pem')}`,
        `--peer-trusted-ca-file=${f('ca.pem')}`,
        '--peer-client-cert-auth',
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const child = proc;
    // etcd logs one of these (3.4 / 3.5+) once it has a leader and serves clients.
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`etcd not ready in 15 s:\n${log}`)), 15_000);
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (/serving client traffic securely|ready to serve client requests/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`etcd exited (${code}):\n${log}`));
      });
    });
    const tls = {
      ca: certs.caPem,
      cert: certs.nodes.client.certPem,
      key: certs.nodes.client.keyPem,
    };
    const health = await httpsGet(`https://127.0.0.1:${clientPort}/health`, tls);
    expect(JSON.parse(health)).toMatchObject({ health: 'true' });
    // And the same endpoint refuses a client without a certificate.
    await expect(
      httpsGet(`https://127.0.0.1:${clientPort}/health`, { ca: certs.caPem }),
    ).rejects.toThrow();
  }, 30_000);
});

function httpsGet(url: string, tls: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`HTTP ${res.statusCode}: ${body}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
