import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from './config.loader';
import { readTlsFiles } from './tls-files';

let dir: string;
let ca: { certPem: string; keyPem: string };
let node: { certPem: string; keyPem: string };
let other: { certPem: string; keyPem: string };

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

async function problemsOf(files: Parameters<typeof readTlsFiles>[0]): Promise<string[]> {
  const err = await readTlsFiles(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shoal-tls-files-'));
  ca = await createRootCa({ commonName: 'tls-files test CA', validYears: 1 });
  node = await issueNodeCertificate(ca, { nodeId: 'n1', role: 'api' });
  other = await issueNodeCertificate(ca, { nodeId: 'n2', role: 'api' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readTlsFiles', () => {
  it('is undefined when no TLS file is configured', async () => {
    expect(await readTlsFiles({})).toBeUndefined();
  });

  it('returns the PEM text of a matching CA, certificate and key', async () => {
    const files = {
      tlsCa: await file('ca.pem', ca.certPem),
      tlsCert: await file('cert.pem', node.certPem),
      tlsKey: await file('key.pem', node.keyPem),
    };
    expect(await readTlsFiles(files)).toEqual({
      ca: ca.certPem,
      cert: node.certPem,
      key: node.keyPem,
    });
  });

  it("refuses a key that is not the certificate's, naming both flags", async () => {
    const problems = await problemsOf({
      tlsCa: await file('ca.pem', ca.certPem),
      tlsCert: await file('cert.pem', node.certPem),
      tlsKey: await file('other-key.pem', other.keyPem),
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^--tls-key \S*other-key\.pem: not the private key of the certificate in --tls-cert \S*cert\.pem$/,
      ),
    ]);
  });

  it('names the flag of a missing, non-PEM or wrong-kind file, all at once', async () => {
    const problems = await problemsOf({
      tlsCa: path.join(dir, 'missing.pem'),
      tlsCert: await file('junk.pem', 'hello'),
      // A certificate where the key belongs: PEM, but not a key.
      tlsKey: await file('cert-as-key.pem', node.certPem),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^--tls-ca \S*missing\.pem: ENOENT/),
      expect.stringMatching(/^--tls-cert \S*junk\.pem: not a PEM file$/),
      expect.stringMatching(/^--tls-key \S*cert-as-key\.pem: /),
    ]);
  });

  it('refuses PEM whose body does not decode, and a key given as the CA', async () => {
    const broken = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
    const problems = await problemsOf({
      tlsCa: await file('key-as-ca.pem', ca.keyPem),
      tlsCert: await file('broken.pem', broken),
      tlsKey: await file('key.pem', node.keyPem),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^--tls-ca \S*key-as-ca\.pem: no PEM certificate$/),
      expect.stringMatching(/^--tls-cert \S*broken\.pem: /),
    ]);
  });
});
