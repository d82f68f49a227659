import { API_VERSION } from './api-version';
import { type ApiRequest, type ApiResponse, type NextFunction } from './http.types';

/**
 * The headers dockerd puts on every response. The docker CLI reads Api-Version to negotiate
 * the version it speaks and Ostype to pick platform defaults; `Server` names us instead of
 * Docker so nobody mistakes Shoal for an engine in logs.
 */
export function dockerHeadersMiddleware(serverVersion: string) {
  const server = `Shoal/${serverVersion} (linux)`;
  return (_req: ApiRequest, res: ApiResponse, next: NextFunction): void => {
    res.setHeader('Api-Version', API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', server);
    // Docker's client decodes an error body only when Content-Type is exactly
    // "application/json"; express appends "; charset=utf-8", and the CLI would then print
    // the raw JSON instead of the message. JSON is UTF-8 by definition, so drop the suffix.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: number | string | readonly string[]) =>
      setHeader(
        name,
        name.toLowerCase() === 'content-type' && typeof value === 'string'
          ? value.replace(/^application\/json;\s*charset=utf-8$/i, 'application/json')
          : value,
      );
    next();
  };
}
