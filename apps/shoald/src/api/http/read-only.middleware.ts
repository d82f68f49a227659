import { type ApiRequest, type ApiResponse, type NextFunction } from './http.types';

export const READ_ONLY_MESSAGE =
  'this API listener (--api-readonly-addr) is read-only: it serves GET and HEAD only; make changes through the unix socket or the mutual-TLS listener (--api-addr)';

/**
 * For the unauthenticated loopback listener: anything but GET/HEAD is refused with 403
 * before routing, body parsing or any handler runs. Streams (/events, logs) are GETs and
 * pass. The body is Docker's error shape, so the docker CLI prints the message.
 */
export function readOnlyMiddleware() {
  return (req: ApiRequest, res: ApiResponse, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    res.statusCode = 403;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ message: READ_ONLY_MESSAGE }));
  };
}
