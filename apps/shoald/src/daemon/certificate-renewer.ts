import { X509Certificate } from 'node:crypto';
import { certificateRenewalDelayMs, createCertificateRequest } from '@shoal/ca';
import { renewNodeCertificate, type NodeTlsMaterial } from '@shoal/ca/grpc';
import { type Logger } from '@shoal/common';
import { type StateDir } from './state-dir';

export interface CertificateRenewerOptions {
  stateDir: StateDir;
  /** Cluster addresses of managers to renew through (a manager may use its own). */
  managers: () => string[];
  /** Called with the new material after it is on disk, to reload live TLS credentials. */
  onRenewed: (material: NodeTlsMaterial) => void;
  logger: Logger;
  /** Injected for tests; Math.random spreads renewals so nodes do not all renew at once. */
  random?: () => number;
}

/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** After a failed attempt, try again this soon (or sooner, near expiry). */
const RETRY_MS = 30_000;

/**
 * Keeps this node's certificate fresh: renews at a random point between 50% and 80% of its
 * lifetime (as Swarm does), over mTLS with the current certificate, through any manager. The
 * role in the new certificate is the node's role in the store, so a renewal also carries a
 * role change that happened meanwhile.
 */
export class CertificateRenewer {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: CertificateRenewerOptions) {}

  async start(): Promise<void> {
    await this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async schedule(retry = false): Promise<void> {
    if (this.stopped) return;
    const cert = new X509Certificate(await this.o.stateDir.readCertificate('node.crt'));
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    const now = Date.now();
    if (retry && notAfter <= now) {
      // An expired certificate cannot be renewed (renewal needs a valid one): the node must
      // leave and join again. Say so once instead of retrying forever.
      this.o.logger.error(
        'the node certificate has expired and cannot be renewed; leave and rejoin the swarm',
        {
          notAfter: cert.validTo,
        },
      );
      return;
    }
    const due = certificateRenewalDelayMs(
      { notBefore, notAfter },
      now,
      this.o.random ?? Math.random,
    );
    const delay = retry ? Math.min(RETRY_MS, Math.max(1_000, (notAfter - now) / 10)) : due;
    this.wakeAt(now + delay);
  }

  /**
   * Timers hold at most 2^31-1 ms (about 24.8 days; Node fires a longer one at once), and a
   * renewal is often further off: wake up in steps until it is due.
   */
  private wakeAt(at: number): void {
    clearTimeout(this.timer);
    const delay = Math.max(0, at - Date.now());
    this.timer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.wakeAt(at) : void this.renew()),
      Math.min(delay, MAX_TIMER_MS),
    );
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const material: NodeTlsMaterial = {
      caPem: await this.o.stateDir.readCertificate('ca.crt'),
      certPem: await this.o.stateDir.readCertificate('node.crt'),
      keyPem: await this.o.stateDir.readCertificate('node.key'),
    };
    for (const addr of this.o.managers()) {
      try {
        const { csrPem, keyPem } = await createCertificateRequest();
        const { certPem } = await renewNodeCertificate(addr, material, csrPem);
        if (this.stopped) return;
        await this.o.stateDir.writeCertificates({ 'node.key': keyPem, 'node.crt': certPem });
        this.o.onRenewed({ caPem: material.caPem, certPem, keyPem });
        this.o.logger.info('node certificate renewed', {
          notAfter: new X509Certificate(certPem).validTo,
        });
        await this.schedule();
        return;
      } catch (err) {
        this.o.logger.warn('certificate renewal failed; trying another manager', {
          manager: addr,
          err: (err as Error).message,
        });
      }
    }
    await this.schedule(true);
  }
}
