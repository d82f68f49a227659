import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.loader';
import { type DaemonConfig } from './daemon.config';

/**
 * PEM text of --tls-ca, --tls-cert and --tls-key: what the mutual-TLS listeners
 * (--api-addr, a non-loopback --metrics-addr) serve with.
 */
export interface TlsMaterial {
  /** The CA (bundle) client certificates must chain to. */
  ca: string;
  /** This node's certificate (chain). */
  cert: string;
  key: string;
}

type TlsFiles = Pick<DaemonConfig, 'tlsCa' | 'tlsCert' | 'tlsKey'>;

/**
 * Reads and checks the three TLS files once, at start, before the node rejoins its swarm:
 * each must be readable PEM of the right kind, and the key must be the certificate's. Every
 * problem is a ConfigError (exit 2) naming the flag and file, so a typo is reported as such
 * instead of surfacing later as a listener that fails or a handshake that never succeeds.
 * Undefined when none of the files is set (the loader has refused a partial set).
 */
export async function readTlsFiles(files: TlsFiles): Promise<TlsMaterial | undefined> {
  if (!files.tlsCa && !files.tlsCert && !files.tlsKey) return undefined;
  const problems: string[] = [];
  const read = async (flag: string, file: string | undefined): Promise<string | undefined> => {
    if (!file) {
      problems.push(`--tls-ca, --tls-cert and --tls-key go together: ${flag} is missing`);
      return undefined;
    }
    try {
      const text = await readFile(file, 'utf8');
      if (!text.includes('-----BEGIN ')) {
        problems.push(`${flag} ${file}: not a PEM file`);
        return undefined;
      }
      return text;
    } catch (err) {
      problems.push(`${flag} ${file}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const [ca, cert, key] = await Promise.all([
    read('--tls-ca', files.tlsCa),
    read('--tls-cert', files.tlsCert),
    read('--tls-key', files.tlsKey),
  ]);

  const parsed = <T>(flag: string, file: string | undefined, parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (err) {
      problems.push(`${flag} ${file}: ${errorText(err)}`);
      return undefined;
    }
  };
  if (ca !== undefined) {
    parsed('--tls-ca', files.tlsCa, () => {
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      return new X509Certificate(ca);
    });
  }
  const certificate =
    cert === undefined
      ? undefined
      : parsed('--tls-cert', files.tlsCert, () => {
          if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
          return new X509Certificate(cert);
        });
  const privateKey: KeyObject | undefined =
    key === undefined ? undefined : parsed('--tls-key', files.tlsKey, () => createPrivateKey(key));
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    problems.push(
      `--tls-key ${files.tlsKey}: not the private key of the certificate in --tls-cert ${files.tlsCert}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  // What the listeners will do with it: anything OpenSSL still refuses (an unsupported key
  // type, a CA bundle with a broken entry) is caught here rather than when a listener starts.
  const material = { ca: ca!, cert: cert!, key: key! };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new ConfigError([
      `--tls-ca ${files.tlsCa}, --tls-cert ${files.tlsCert}, --tls-key ${files.tlsKey}: unusable for TLS: ${errorText(err)}`,
    ]);
  }
  return material;
}

function errorText(err: unknown): string {
  const e = err as Error & { code?: string };
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
}
