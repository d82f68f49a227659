import { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The parts of express's request and response the API shell uses. The project does not
 * depend on @types/express, so these are declared here over Node's own types; express adds
 * the members at run time.
 */
export interface ApiRequest extends IncomingMessage {
  url: string;
  method: string;
  /** The URL's path without the query string (after the version prefix was stripped). */
  readonly path: string;
  body?: unknown;
}

export interface ApiResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
  send(body: string): this;
}

export type NextFunction = (error?: unknown) => void;

export type Middleware = (req: ApiRequest, res: ApiResponse, next: NextFunction) => void;
