import { type IncomingMessage } from 'node:http';
import { type ApiError, InvalidArgumentError, PayloadTooLargeError } from '@shoal/api';
import { type SpecRouteMatcher } from '../not-implemented/spec-route.matcher';
import { type ApiRequest, type ApiResponse, type NextFunction } from './http.types';

/** Default cap on a JSON request body. Service specs are a few KiB; 4 MiB leaves ample room. */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Body errors found before routing, raised later by JsonBodyGuard once the route is known.
 * Deferring them lets an endpoint Shoal does not serve answer 501 whatever its body was,
 * while served endpoints get the 400/413 below.
 */
const bodyErrors = new WeakMap<IncomingMessage, ApiError>();

export function bodyErrorOf(req: IncomingMessage): ApiError | undefined {
  return bodyErrors.get(req);
}

/**
 * Reads and parses JSON request bodies in place of Nest's body parser, so the error texts and
 * limits are ours:
 * - only endpoints whose spec body is a JSON object or array are read; other bodies are left
 *   alone (ignored, as Docker ignores them, or streamed by a handler: tar archives...);
 * - malformed JSON → 400 `invalid JSON body: <reason>`;
 * - more than `limitBytes` → 413, told before reading when Content-Length gives it away;
 * - a body with a non-JSON Content-Type → 400 with Docker's text (its clients always send
 *   application/json; a missing Content-Type is taken as JSON, which is all it could be);
 * - an empty body where the spec wants a JSON object → 400 (Docker's own clients always
 *   send one, and an empty spec would only fail later with a less helpful message).
 * Bodies are never logged: they carry secrets (secret data, join tokens, unlock keys).
 */
export function jsonBodyMiddleware(matcher: SpecRouteMatcher, limitBytes: number) {
  return (req: ApiRequest, res: ApiResponse, next: NextFunction): void => {
    const route = matcher.match(req.method, pathOf(req.url));
    if (!route || (route.body !== 'object' && route.body !== 'array')) {
      next();
      return;
    }
    const shape = route.body;
    const fail = (error: ApiError, closeConnection = false) => {
      bodyErrors.set(req, error);
      // The unread rest of the body would otherwise be drained to keep the connection alive.
      if (closeConnection) res.setHeader('Connection', 'close');
      next();
    };
    const whenEmpty = () => {
      if (route.bodyRequired)
        fail(new InvalidArgumentError(`request body must be ${article(shape)}, got an empty body`));
      else next();
    };

    if (!hasBody(req)) {
      whenEmpty();
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !isJsonContentType(contentType)) {
      fail(
        new InvalidArgumentError(
          `unsupported Content-Type header (${contentType}): must be 'application/json'`,
        ),
        true,
      );
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      fail(new PayloadTooLargeError(limitBytes), true);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      fn();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        settle(() => {
          chunks.length = 0;
          req.resume(); // discard the rest; the response closes the connection
          fail(new PayloadTooLargeError(limitBytes), true);
        });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      settle(() => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          whenEmpty();
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          fail(new InvalidArgumentError(`invalid JSON body: ${(err as Error).message}`));
          return;
        }
        const ok =
          shape === 'array'
            ? Array.isArray(value)
            : typeof value === 'object' && value !== null && !Array.isArray(value);
        if (!ok) {
          fail(new InvalidArgumentError(`request body must be ${article(shape)}`));
          return;
        }
        req.body = value;
        next();
      });
    const onError = (err: Error) =>
      settle(() =>
        fail(new InvalidArgumentError(`request body could not be read: ${err.message}`), true),
      );
    // Closed before 'end': the client went away mid-body; nobody will read the answer.
    const onClose = () => onError(new Error('connection closed'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  };
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

/** application/json, with parameters (charset) or a +json suffix type. */
export function isJsonContentType(value: string): boolean {
  const media = value.split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

function article(shape: 'object' | 'array'): string {
  return shape === 'object' ? 'a JSON object' : 'a JSON array';
}
