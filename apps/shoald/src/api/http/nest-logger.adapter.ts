import { type LoggerService } from '@nestjs/common';
import { type Logger } from '@shoal/common';

/**
 * Nest's own messages through our logger. Nest's `log` level is its chatter (route mapping,
 * "application started"), so it goes to debug; warnings and errors keep their level.
 */
export function nestLogger(logger: Logger): LoggerService {
  const log = logger.child({ component: 'nest' });
  const text = (message: unknown) =>
    message instanceof Error
      ? message.message
      : typeof message === 'string'
        ? message
        : String(message);
  const context = (params: unknown[]) => {
    const last = params[params.length - 1];
    return typeof last === 'string' ? { context: last } : undefined;
  };
  return {
    log: (message: unknown, ...params: unknown[]) => log.debug(text(message), context(params)),
    error: (message: unknown, ...params: unknown[]) => log.error(text(message), context(params)),
    warn: (message: unknown, ...params: unknown[]) => log.warn(text(message), context(params)),
    debug: (message: unknown, ...params: unknown[]) => log.debug(text(message), context(params)),
    verbose: (message: unknown, ...params: unknown[]) => log.debug(text(message), context(params)),
    fatal: (message: unknown, ...params: unknown[]) => log.error(text(message), context(params)),
  };
}
