/** Small display conversions shared by the list and pretty-inspect views. */

/** docker shows 12-character IDs in lists unless --no-trunc. */
export const SHORT_ID_LENGTH = 12;

export function shortId(id: string | undefined, noTrunc = false): string {
  if (!id) return '';
  return noTrunc ? id : id.slice(0, SHORT_ID_LENGTH);
}

/** "ready" -> "Ready", the casing docker uses for states in tables. */
export function capitalize(text: string | undefined): string {
  if (!text) return '';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Lists show the image reference without its pinned digest, which is noise at a glance. */
export function imageWithoutDigest(image: string | undefined): string {
  if (!image) return '';
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

/** Cuts long text to `max` characters with a trailing ellipsis. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '\u2026';
}

/**
 * An elapsed time in the words docker uses ("Less than a second", "About a minute",
 * "3 hours", "2 weeks"), for "Running 5 minutes ago".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.round(ms / 3_600_000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** "3 hours ago" from an RFC 3339 timestamp, or "" when the daemon sent none / garbage. */
export function since(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '';
  const at = Date.parse(timestamp);
  if (Number.isNaN(at) || at <= 0) return '';
  return `${humanDuration(Math.max(0, now.getTime() - at))} ago`;
}
