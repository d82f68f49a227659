/**
 * When a node renews its certificate: at a uniformly random point between 50% and 80% of its
 * lifetime, as Swarm does, so a fleet issued at once does not renew at once. Pure: the caller
 * supplies the clock reading and the random source.
 */

import { CERT_BACKDATE_MS } from './x509-common';

export { CERT_BACKDATE_MS };
export const RENEWAL_WINDOW_START = 0.5;
export const RENEWAL_WINDOW_END = 0.8;

const ms = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

/**
 * Milliseconds from `now` until the renewal point (0 if it has passed, or the certificate's
 * dates make no sense). The lifetime is measured from notBefore. `rng` returns [0, 1).
 */
export function renewalDelayMs(
  cert: { notBefore: Date | number; notAfter: Date | number },
  now: number,
  rng: () => number,
): number {
  const notBefore = ms(cert.notBefore);
  const lifetime = ms(cert.notAfter) - notBefore;
  if (!Number.isFinite(lifetime) || lifetime <= 0) return 0;
  const r = Math.min(Math.max(rng(), 0), 1);
  const fraction = RENEWAL_WINDOW_START + (RENEWAL_WINDOW_END - RENEWAL_WINDOW_START) * r;
  const delay = Math.floor(notBefore + lifetime * fraction - now);
  return Number.isFinite(delay) && delay > 0 ? delay : 0;
}

/**
 * renewalDelayMs for a certificate this CA issued: it starts CERT_BACKDATE_MS before it was
 * issued, and that hour must not count as lifetime, or a short-lived certificate (an hour,
 * say) would be "due" the moment it arrives and be renewed in a loop.
 */
export function certificateRenewalDelayMs(
  cert: { notBefore: Date | number; notAfter: Date | number },
  now: number,
  rng: () => number,
): number {
  const issued = ms(cert.notBefore) + CERT_BACKDATE_MS;
  const notBefore = issued < ms(cert.notAfter) ? issued : ms(cert.notBefore);
  return renewalDelayMs({ notBefore, notAfter: cert.notAfter }, now, rng);
}
