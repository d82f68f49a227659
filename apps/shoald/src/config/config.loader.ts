import { LOG_LEVELS, type LogLevel } from '@shoal/common';
import { isAbsolute } from 'node:path';
import {
  DAEMON_DEFAULTS,
  EXECUTORS,
  SETTINGS,
  type DaemonConfig,
  type ExecutorChoice,
} from './daemon.config';
import { isLoopbackHost, parseHostPort } from './host-port';

/** Every problem found, so an operator fixes them in one go rather than one per restart. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Parsed flags, keyed by DaemonConfig key; undefined when not given. */
  flags: Partial<Record<string, string>>;
  env: Record<string, string | undefined>;
  /** The config file's path and raw text, if one was read. */
  file?: { path: string; text: string };
}

/** Merges the sources (flag > env > file > default) and validates the result. */
export function resolveDaemonConfig(sources: ConfigSources): DaemonConfig {
  const problems: string[] = [];
  const fromFile = parseConfigFile(sources.file, problems);
  const raw: Record<string, { value: string; origin: string }> = {};
  for (const s of SETTINGS) {
    const flag = sources.flags[s.key];
    const env = sources.env[s.env];
    const file = fromFile[s.flag];
    if (flag !== undefined) raw[s.key] = { value: flag, origin: `--${s.flag}` };
    else if (env !== undefined && env !== '') raw[s.key] = { value: env, origin: s.env };
    else if (file !== undefined)
      raw[s.key] = { value: file, origin: `"${s.flag}" in ${sources.file!.path}` };
  }
  const get = (key: string, fallback?: string) =>
    raw[key] ?? (fallback === undefined ? undefined : { value: fallback, origin: 'default' });

  const stateDir = get('stateDir', DAEMON_DEFAULTS.stateDir)!;
  const socket = get('socket', DAEMON_DEFAULTS.socket)!;
  for (const p of [stateDir, socket]) {
    if (!isAbsolute(p.value)) problems.push(`${p.origin}: "${p.value}" must be an absolute path`);
  }

  const listen = get('listenAddr', DAEMON_DEFAULTS.listenAddr)!;
  const listenParsed = parseHostPort(listen.value);
  if (typeof listenParsed === 'string') problems.push(`${listen.origin}: ${listenParsed}`);

  const advertise = get('advertiseAddr');
  if (advertise) {
    const parsed = parseHostPort(advertise.value, { defaultPort: 0 });
    if (typeof parsed === 'string') problems.push(`${advertise.origin}: ${parsed}`);
    else if (['0.0.0.0', '::'].includes(parsed.host)) {
      problems.push(
        `${advertise.origin}: "${advertise.value}" is unspecified; advertise an address other nodes can reach`,
      );
    }
  }

  const tlsFiles = (['tlsCa', 'tlsCert', 'tlsKey'] as const).map((key) => get(key));
  for (const f of tlsFiles) {
    if (f && !isAbsolute(f.value))
      problems.push(`${f.origin}: "${f.value}" must be an absolute path`);
  }
  const tlsGiven = tlsFiles.filter((f) => f !== undefined).length;
  if (tlsGiven > 0 && tlsGiven < 3) {
    problems.push('--tls-ca, --tls-cert and --tls-key go together: give all three or none');
  }
  const hasTls = tlsGiven === 3;

  const metrics = get('metricsAddr');
  if (metrics) {
    const parsed = parseHostPort(metrics.value, { allowPortZero: true });
    if (typeof parsed === 'string') problems.push(`${metrics.origin}: ${parsed}`);
    else if (!isLoopbackHost(parsed.host) && !hasTls) {
      problems.push(
        `${metrics.origin}: "${metrics.value}" is not a loopback address, so it needs --tls-ca, --tls-cert and --tls-key (scrapers then present a client certificate); or bind it to 127.0.0.1`,
      );
    }
  }

  const api = get('apiAddr');
  if (api) {
    const parsed = parseHostPort(api.value, { allowPortZero: true });
    if (typeof parsed === 'string') problems.push(`${api.origin}: ${parsed}`);
    else if (!hasTls) {
      problems.push(
        `${api.origin}: the TCP API needs --tls-ca, --tls-cert and --tls-key: clients must present a certificate signed by the CA (for an unauthenticated read-only listener on loopback, use --api-readonly-addr)`,
      );
    }
  }

  const readonlyApi = get('apiReadonlyAddr');
  if (readonlyApi) {
    const parsed = parseHostPort(readonlyApi.value, { allowPortZero: true });
    if (typeof parsed === 'string') problems.push(`${readonlyApi.origin}: ${parsed}`);
    else if (!isLoopbackHost(parsed.host)) {
      problems.push(
        `${readonlyApi.origin}: "${readonlyApi.value}" is not a loopback address; the unauthenticated read-only API may only listen on 127.0.0.0/8 or ::1 (use --api-addr with TLS otherwise)`,
      );
    }
  }

  const executor = get('executor', DAEMON_DEFAULTS.executor)!;
  if (!EXECUTORS.includes(executor.value as ExecutorChoice)) {
    problems.push(
      `${executor.origin}: "${executor.value}" is not an executor; accepted: ${EXECUTORS.join(', ')}`,
    );
  }
  const logLevel = get('logLevel', DAEMON_DEFAULTS.logLevel)!;
  if (!LOG_LEVELS.includes(logLevel.value as LogLevel)) {
    problems.push(
      `${logLevel.origin}: "${logLevel.value}" is not a log level; accepted: ${LOG_LEVELS.join(', ')}`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    stateDir: stateDir.value,
    socket: socket.value,
    listenAddr: listen.value,
    advertiseAddr: advertise?.value,
    executor: executor.value as ExecutorChoice,
    metricsAddr: metrics?.value,
    apiAddr: api?.value,
    apiReadonlyAddr: readonlyApi?.value,
    tlsCa: tlsFiles[0]?.value,
    tlsCert: tlsFiles[1]?.value,
    tlsKey: tlsFiles[2]?.value,
    logLevel: logLevel.value as LogLevel,
    configFile: sources.file?.path,
  };
}

/** The file is JSON with the flags' names as keys, like dockerd's daemon.json. */
function parseConfigFile(file: ConfigSources['file'], problems: string[]): Record<string, string> {
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.text);
  } catch (err) {
    problems.push(`${file.path}: not valid JSON (${(err as Error).message})`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${file.path}: expected a JSON object of settings`);
    return {};
  }
  const known = new Set(SETTINGS.map((s) => s.flag));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!known.has(k)) {
      problems.push(`${file.path}: unknown setting "${k}"; accepted: ${[...known].join(', ')}`);
    } else if (typeof v !== 'string') {
      problems.push(`${file.path}: "${k}" must be a string`);
    } else {
      out[k] = v;
    }
  }
  return out;
}
