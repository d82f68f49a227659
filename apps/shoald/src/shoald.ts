import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { createLogger, objectIdGenerator, systemClock, type Logger } from '@shoal/common';
import { createApiApp, listenOnSocket } from './api/api.app';
import { startTcpApis } from './api/api.tcp';
import { EventsFeed } from './api/events/events.feed';
import { DEFAULT_DOCKER_SOCKET, DockerExecutor } from '@shoal/exec';
import { missingRaftHostFlags } from '@shoal/raft';
import { dockerUnavailableMessage } from './agent/executor.choice';
import { ConfigError, resolveDaemonConfig } from './config/config.loader';
import { DEFAULT_CONFIG_FILE, SETTINGS, type DaemonConfig } from './config/daemon.config';
import { readTlsFiles } from './config/tls-files';
import { DaemonSwarmRuntime } from './daemon/daemon.runtime';
import { daemonRegistry, startMetricsEndpoint } from './metrics/metrics.endpoint';
import { SHOAL_VERSION } from './version';

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration or usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Reads flags, then SHOAL_* variables, then the config file; validates it all up front. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): DaemonConfig {
  const program = new Command('shoald')
    .description('Shoal node daemon: the agent on every host, and the manager on managers')
    .version(SHOAL_VERSION)
    .option('--config <file>', `JSON config file (default ${DEFAULT_CONFIG_FILE} if it exists)`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const s of SETTINGS) program.option(`--${s.flag} <value>`, `${s.description} [${s.env}]`);
  program.parse(argv, { from: 'user' });
  const opts = program.opts<Record<string, string | undefined>>();
  const fileName = opts['config'] ?? env['SHOAL_CONFIG'];
  let file: { path: string; text: string } | undefined;
  if (fileName) {
    try {
      file = { path: fileName, text: readFileSync(fileName, 'utf8') };
    } catch (err) {
      throw new ConfigError([`config file ${fileName}: ${(err as Error).message}`]);
    }
  } else if (existsSync(DEFAULT_CONFIG_FILE)) {
    file = { path: DEFAULT_CONFIG_FILE, text: readFileSync(DEFAULT_CONFIG_FILE, 'utf8') };
  }
  const flags: Record<string, string | undefined> = {};
  for (const s of SETTINGS) flags[s.key] = opts[camel(s.flag)];
  return resolveDaemonConfig({ flags, env, file });
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface RunningDaemon {
  stop(): Promise<void>;
}

/** Starts the daemon: resume swarm state, then serve the control API on the socket. */
export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<RunningDaemon> {
  // `--executor docker` promises containers: without an engine, stop now (exit 2) rather
  // than join a swarm and fail every task later.
  if (config.executor === 'docker' && !(await DockerExecutor.available(DEFAULT_DOCKER_SOCKET))) {
    throw new ConfigError([dockerUnavailableMessage(DEFAULT_DOCKER_SOCKET)]);
  }
  // Read and checked once, here, for every listener that uses them: a bad --tls-* file stops
  // the daemon (exit 2) before it rejoins anything.
  const tls = await readTlsFiles(config);
  const metrics = daemonRegistry(config, SHOAL_VERSION, () => runtime.nodeInfo());
  const runtime = new DaemonSwarmRuntime({
    config,
    version: SHOAL_VERSION,
    clock: systemClock,
    newId: objectIdGenerator(),
    logger,
    metrics,
  });
  // Before resume: the node's description carries the bound endpoint from the start.
  const metricsServer = metrics && (await startMetricsEndpoint(config, metrics, logger, tls));
  if (metricsServer) runtime.setMetricsEndpoint(metricsServer.address);
  await runtime.resume().catch(async (err: unknown) => {
    await metricsServer?.close();
    throw err;
  });
  // One events feed for every API listener: one history and one store watch. The apps do
  // not close a feed they are given; it is closed here once they are.
  const eventsFeed = new EventsFeed();
  const app = await createApiApp(runtime, { logger, eventsFeed });
  await listenOnSocket(app, config.socket);
  logger.info('control API listening', { socket: config.socket });
  const tcpApis = await startTcpApis(runtime, { ...config, tls }, logger, { eventsFeed }).catch(
    async (err: unknown) => {
      await app.close();
      eventsFeed.close();
      await runtime.shutdown();
      await metricsServer?.close();
      throw err;
    },
  );
  return {
    async stop() {
      // Stop taking requests first, then hand leadership over so writes barely pause.
      try {
        await Promise.all([app.close(), tcpApis.close()]);
      } finally {
        // Whatever the HTTP side did, the node must still leave Raft cleanly.
        eventsFeed.close();
        await runtime.shutdown();
      }
      // Last, so that the series can be watched until the very end.
      await metricsServer?.close();
    },
  };
}

export async function runShoald(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<number | undefined> {
  let config: DaemonConfig;
  try {
    config = loadConfig(argv, env);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof ConfigError) {
      process.stderr.write(`shoald: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const logger = createLogger({ name: 'shoald', level: config.logLevel });
  const missing = missingRaftHostFlags();
  if (missing.length > 0) {
    // Started as `node main.js` rather than through the shoald launcher: it works, but a
    // manager's Raft commit latency under load is worse (see RAFT_HOST_NODE_FLAGS).
    logger.info('node was started without the heap flags shoald is tuned for', {
      missing: missing.join(' '),
    });
  }
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`shoald: ${err.message}\n`);
      return EXIT_USAGE;
    }
    logger.error('failed to start', { err: (err as Error).message });
    process.stderr.write(`shoald: failed to start: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    daemon.stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error('unclean stop', { err: err.message });
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return undefined;
}
