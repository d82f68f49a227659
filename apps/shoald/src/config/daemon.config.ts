import { LOG_LEVELS, type LogLevel } from '@shoal/common';

/**
 * shoald's settings. The flag names are a contract (docs, tests and operators use them); the
 * same names, in kebab-case, are the keys of the JSON config file, and SHOAL_<NAME> the
 * environment variables. Precedence: flag > environment > file > default.
 */
export interface DaemonConfig {
  stateDir: string;
  /** Unix socket of the control API (mode 0660). */
  socket: string;
  /** host:port the cluster port (Raft, and later the dispatcher and CA) listens on. */
  listenAddr: string;
  /** host[:port] other nodes reach this one at; derived from listenAddr when unset. */
  advertiseAddr?: string;
  executor: ExecutorChoice;
  /**
   * host:port of the Prometheus endpoint; off when unset. Plain HTTP on loopback; any other
   * address needs the --tls-* files and then demands client certificates (mTLS).
   */
  metricsAddr?: string;
  /** host:port of the control API over TCP with mTLS (dockerd's -H tcp:// --tlsverify). */
  apiAddr?: string;
  /**
   * host:port of an unauthenticated control API for a local Prometheus, tests and tools:
   * loopback only, only when asked for by name, and only the read endpoints that reveal no
   * secret (no join tokens, unlock key or logs; see read-only.middleware.ts).
   */
  apiReadonlyAddr?: string;
  /** PEM files of the client-facing TLS listeners: the CA that signs clients, and our pair. */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: LogLevel;
  /** The config file read, if any. */
  configFile?: string;
}

export type ExecutorChoice = 'auto' | 'docker' | 'process';
export const EXECUTORS: readonly ExecutorChoice[] = ['auto', 'docker', 'process'];

/**
 * The cluster port. Swarm uses 2377 (and 7946, 4789); Shoal's defaults differ so both can run
 * on one host, which is also how the side-by-side benchmarks run.
 */
export const DEFAULT_CLUSTER_PORT = 7377;

export const DAEMON_DEFAULTS = {
  stateDir: '/var/lib/shoal',
  socket: '/run/shoal/shoal.sock',
  listenAddr: `0.0.0.0:${DEFAULT_CLUSTER_PORT}`,
  executor: 'auto',
  logLevel: 'info',
} as const satisfies Partial<DaemonConfig>;

/** Default config file, read only if it exists; `--config` names another (which must exist). */
export const DEFAULT_CONFIG_FILE = '/etc/shoal/shoald.json';

export interface SettingSpec {
  key: keyof Omit<DaemonConfig, 'configFile'>;
  flag: string;
  env: string;
  description: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'stateDir',
    flag: 'state-dir',
    env: 'SHOAL_STATE_DIR',
    description: 'where the node keeps its state',
  },
  {
    key: 'socket',
    flag: 'socket',
    env: 'SHOAL_SOCKET',
    description: 'unix socket of the control API',
  },
  {
    key: 'listenAddr',
    flag: 'listen-addr',
    env: 'SHOAL_LISTEN_ADDR',
    description: 'cluster port listen address, host:port',
  },
  {
    key: 'advertiseAddr',
    flag: 'advertise-addr',
    env: 'SHOAL_ADVERTISE_ADDR',
    description: 'address other nodes reach this one at, host[:port]',
  },
  {
    key: 'executor',
    flag: 'executor',
    env: 'SHOAL_EXECUTOR',
    description: `task executor: ${EXECUTORS.join(', ')}`,
  },
  {
    key: 'metricsAddr',
    flag: 'metrics-addr',
    env: 'SHOAL_METRICS_ADDR',
    description: 'Prometheus endpoint address, host:port (off by default)',
  },
  {
    key: 'apiAddr',
    flag: 'api-addr',
    env: 'SHOAL_API_ADDR',
    description:
      'control API over TCP with mutual TLS, host:port (needs --tls-ca/--tls-cert/--tls-key)',
  },
  {
    key: 'apiReadonlyAddr',
    flag: 'api-readonly-addr',
    env: 'SHOAL_API_READONLY_ADDR',
    description:
      'unauthenticated read-only control API on a loopback host:port (tests, local tools)',
  },
  {
    key: 'tlsCa',
    flag: 'tls-ca',
    env: 'SHOAL_TLS_CA',
    description:
      'PEM CA file that client certificates of --api-addr and --metrics-addr must chain to',
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: 'SHOAL_TLS_CERT',
    description: 'PEM certificate file served by --api-addr and a non-loopback --metrics-addr',
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    env: 'SHOAL_TLS_KEY',
    description: 'PEM private key file of --tls-cert',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'SHOAL_LOG_LEVEL',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
  },
];
