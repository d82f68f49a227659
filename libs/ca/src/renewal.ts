/**
 * When a node renews its certificate: at a uniformly random point between 50% and 80% of its
 * lifetime, as Swarm does, so a fleet issued at once does not renew at once. Pure: the caller
 * supplies the clock reading and the random source.
 */

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
