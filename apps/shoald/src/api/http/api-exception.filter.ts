import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { ApiError } from '@shoal/api';
import { type Logger } from '@shoal/common';
import { type ApiRequest, type ApiResponse } from './http.types';

export interface ErrorReply {
  status: number;
  message: string;
  /** True for failures that are our bug, not the caller's: they are logged. */
  internal: boolean;
}

/**
 * Turns anything a handler (or a middleware, through Nest's error hook) throws into Docker's
 * error shape `{"message": "..."}` with Docker's status. Pure, so the mapping unit-tests.
 *
 * - ApiError: its own status and message.
 * - Nest's HttpExceptions (routing, URI decoding, ...): their status, their message.
 * - Errors other layers throw with a well-known name, without importing them (the API shell
 *   must not depend on the Raft driver): the store's precondition failures and the Raft
 *   driver's "cannot tell right now" errors. Controllers should map these themselves; this is
 *   the safety net so they never surface as 500.
 * - Anything else: 500 `internal error: <message>`. Never a stack trace.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof ApiError)
    return { status: error.status, message: error.message, internal: false };
  if (error instanceof HttpException) {
    return { status: error.getStatus(), message: httpExceptionMessage(error), internal: false };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  if (e.name === 'StoreError') {
    // As control/store-error.mapper.ts maps them: a stale Version.Index is a 409 "update out
    // of sequence" (Docker says 500; the brief asks for 409), name clashes 409.
    return { status: code === 'NotFound' ? 404 : 409, message: e.message, internal: false };
  }
  if (UNAVAILABLE_ERRORS.has(e.name)) return { status: 503, message: e.message, internal: false };
  return { status: 500, message: `internal error: ${e.message}`, internal: true };
}

/** The Raft driver's errors that mean "no leader / not now", which Docker reports as 503. */
const UNAVAILABLE_ERRORS: ReadonlySet<string> = new Set([
  'NotLeaderError',
  'ProposalDroppedError',
  'ProposalTimeoutError',
  'DriverStoppedError',
]);

function httpExceptionMessage(error: HttpException): string {
  const body = error.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  if (typeof message === 'string') return message;
  return error.message;
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<ApiResponse>();
    const req = http.getRequest<ApiRequest>();
    const reply = toErrorReply(error);
    if (reply.internal) {
      // Method and path only: query strings and bodies may carry secrets.
      this.logger.error('control API request failed', {
        method: req.method,
        path: req.path,
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
    }
    if (res.headersSent) {
      // Mid-stream (events): the status line is gone; end the stream so the client notices.
      res.end();
      return;
    }
    res.status(reply.status).json({ message: reply.message });
  }
}
