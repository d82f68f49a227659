/**
 * `--publish` values, in docker's two syntaxes:
 *   short  `8080:80`, `8080:80/udp`, `80` (target only; the daemon picks the published port),
 *          ranges `8080-8081:80-81`
 *   long   `published=8080,target=80,protocol=tcp,mode=host`
 * Every parsed port carries an explicit protocol and publish mode, as docker's client sends.
 */
import type { EndpointPortConfig } from '../api/swarm.types';
import { UsageError } from '../errors/cli.errors';

export const PORT_SYNTAX =
  'expected [PUBLISHED:]TARGET[/PROTOCOL] (e.g. "8080:80", "8080:80/udp", "80") or ' +
  'published=P,target=T[,protocol=tcp|udp|sctp][,mode=ingress|host]';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const MODES = ['ingress', 'host'] as const;
type Protocol = (typeof PROTOCOLS)[number];
type Mode = (typeof MODES)[number];

function invalid(input: string, why: string): UsageError {
  return new UsageError(`invalid publish spec ${JSON.stringify(input)}: ${why}; ${PORT_SYNTAX}`);
}

function parsePort(input: string, text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text))
    throw invalid(input, `${what} ${JSON.stringify(text)} is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw invalid(input, `${what} ${port} is outside 1-65535`);
  return port;
}

/** "80" or "80-81" as the list of ports it covers. */
function parseRange(input: string, text: string, what: string): number[] {
  const dash = text.indexOf('-');
  if (dash < 0) return [parsePort(input, text, what)];
  const first = parsePort(input, text.slice(0, dash), what);
  const last = parsePort(input, text.slice(dash + 1), what);
  if (last < first) throw invalid(input, `${what} range ${text} is reversed`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

function parseProtocol(input: string, text: string): Protocol {
  const lower = text.toLowerCase();
  const found = PROTOCOLS.find((p) => p === lower);
  if (!found) throw invalid(input, `unknown protocol ${JSON.stringify(text)}`);
  return found;
}

function parseShort(input: string): EndpointPortConfig[] {
  const slash = input.indexOf('/');
  const ports = slash < 0 ? input : input.slice(0, slash);
  const protocol = slash < 0 ? 'tcp' : parseProtocol(input, input.slice(slash + 1));
  const parts = ports.split(':');
  if (parts.length > 2) {
    // docker's container syntax allows HOST_IP:PUBLISHED:TARGET; a swarm service publishes on
    // every node (or on the task's node), so a host IP would be silently ignored. Refuse it.
    throw invalid(input, 'a host IP cannot be given for a service port');
  }
  const [left = '', right] = parts;
  const targets = parseRange(input, right ?? left, 'target port');
  const published = right === undefined ? undefined : parseRange(input, left, 'published port');
  if (published && published.length !== targets.length) {
    throw invalid(input, 'published and target ranges must be the same length');
  }
  return targets.map((TargetPort, i) => ({
    Protocol: protocol,
    TargetPort,
    ...(published ? { PublishedPort: published[i] } : {}),
    PublishMode: 'ingress' as const,
  }));
}

function parseLong(input: string): EndpointPortConfig {
  let target: number | undefined;
  let published: number | undefined;
  let protocol: Protocol = 'tcp';
  let mode: Mode = 'ingress';
  for (const field of input.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw invalid(input, `field ${JSON.stringify(field)} is not key=value`);
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    switch (key) {
      case 'target':
        target = parsePort(input, value, 'target port');
        break;
      case 'published':
        published = parsePort(input, value, 'published port');
        break;
      case 'protocol':
        protocol = parseProtocol(input, value);
        break;
      case 'mode': {
        const found = MODES.find((m) => m === value.toLowerCase());
        if (!found) throw invalid(input, `unknown mode ${JSON.stringify(value)}`);
        mode = found;
        break;
      }
      default:
        throw invalid(input, `unknown field ${JSON.stringify(key)}`);
    }
  }
  if (target === undefined) throw invalid(input, 'target is required');
  return {
    Protocol: protocol,
    TargetPort: target,
    ...(published !== undefined ? { PublishedPort: published } : {}),
    PublishMode: mode,
  };
}

/** Parses one `--publish` value into the port configs it stands for (several for a range). */
export function parsePortSpec(input: string): EndpointPortConfig[] {
  if (input.trim() === '') throw invalid(input, 'empty value');
  return input.includes('=') ? [parseLong(input)] : parseShort(input);
}

/** `*:8080->80/tcp` for ingress ports, `8080->80/tcp (host)` for host-mode ones, as docker lists. */
export function formatPort(port: EndpointPortConfig): string {
  const protocol = port.Protocol ?? 'tcp';
  const published = port.PublishedPort ? String(port.PublishedPort) : '';
  if (port.PublishMode === 'host')
    return `${published}->${port.TargetPort ?? ''}/${protocol} (host)`;
  return `*:${published}->${port.TargetPort ?? ''}/${protocol}`;
}
